"""Write profiles.csv for this example.

No GPU was at hand when this example was made, so the "measurements" here are the performance
model's own estimates on a grid of request sizes, written in the profiles format: a stand-in that
shows the format and the interpolation between measured points. Replace profiles.csv with your
own measurements (the maximum requests/s one replica sustains within the latency targets).

    python examples/request-size-histogram/make_profiles.py > examples/request-size-histogram/profiles.csv
"""

import planner

GRID_IN = (64, 256, 1024, 4096, 8192)
GRID_OUT = (32, 128, 512, 2048)


def main() -> None:
    """Print the profiles CSV on stdout."""
    print("model,accelerator,tensor_parallel,precision,input_tokens,output_tokens,requests_per_s,tpot_ms")
    for acc in ("l4", "l40s"):
        for inp in GRID_IN:
            for out in GRID_OUT:
                est = planner.estimate(
                    "llama-3.1-8b",
                    acc,
                    precision="fp8",
                    input_tokens=inp,
                    output_tokens=out,
                    tpot_ms=50,
                    ttft_ms=2000,
                )
                if est.fits and est.requests_per_s:
                    print(f"llama-3.1-8b,{acc},1,fp8,{inp},{out},{est.requests_per_s:.4g},50")


if __name__ == "__main__":
    main()
