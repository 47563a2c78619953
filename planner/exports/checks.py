"""Rules for Kubernetes objects that the OpenAPI schema cannot see (the API server's own checks).

The schema types a quantity as int-or-string and says nothing about names, label values, extended
resources or selectors; the API server rejects what these rules find. ``manifest_problems`` returns
one sentence per problem (empty: none found).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from planner.catalog.schema import LABEL_KEY, LABEL_VALUE

_DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_LABEL_KEY, _LABEL_VALUE = re.compile(LABEL_KEY), re.compile(LABEL_VALUE)
#: Native resources; every other resource name with a domain is an extended resource.
NATIVE = {"cpu", "memory", "ephemeral-storage", "storage"}


def _labels(where: str, labels: object) -> Iterator[str]:
    if labels is None:
        return
    if not isinstance(labels, Mapping):
        yield f"{where}: labels must be a mapping"
        return
    for key, value in labels.items():
        if not isinstance(key, str) or not _LABEL_KEY.match(key) or len(key.split("/")[-1]) > 63:
            yield f"{where}: illegal label key {key!r}"
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            yield f"{where}: illegal label value {value!r} of {key!r}"


def _name(where: str, meta: Mapping[str, Any], pattern: re.Pattern[str]) -> Iterator[str]:
    name = meta.get("name")
    if not isinstance(name, str) or len(name) > 63 or not pattern.match(name):
        yield f"{where}: name {name!r} is not a DNS label of at most 63 characters"


def _resources(where: str, resources: Mapping[str, Any], extended: Collection[str] | None) -> Iterator[str]:
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    for name in sorted(set(requests) | set(limits)):
        if name not in NATIVE and extended is not None and name not in extended:
            yield f"{where}: unknown extended resource {name!r} (known: {', '.join(sorted(extended))})"
    for kind, values in (("requests", requests), ("limits", limits)):
        for name, qty in values.items():
            text = str(qty)
            if isinstance(qty, bool) or not _QUANTITY.match(text):
                yield f"{where}: {kind}.{name} = {qty!r} is not a quantity"
            elif name not in NATIVE and not re.fullmatch(r"[0-9]+", text):
                yield f"{where}: {kind}.{name} = {qty!r}: an extended resource must be a whole number"
            elif name not in NATIVE and int(text) < 1:
                yield f"{where}: {kind}.{name} must be at least 1"
    for name in set(requests) | set(limits):
        if name in NATIVE:
            continue
        if name not in limits:
            yield f"{where}: extended resource {name} needs a limit"
        elif name in requests and str(requests[name]) != str(limits[name]):
            yield f"{where}: requests.{name} ({requests[name]}) must equal limits.{name} ({limits[name]})"


def pod_problems(
    where: str, pod: Mapping[str, Any], extended: Collection[str] | None = None
) -> Iterator[str]:
    """Problems of a pod spec: images, resources, node selector labels, volumes mounted."""
    containers = pod.get("containers") or []
    if not containers:
        yield f"{where}: no containers"
    volumes = {v.get("name") for v in pod.get("volumes") or []}
    for c in containers:
        cw = f"{where} container {c.get('name')!r}"
        if not c.get("image"):
            yield f"{cw}: no image"
        yield from _resources(cw, c.get("resources") or {}, extended)
        for mount in c.get("volumeMounts") or []:
            if mount.get("name") not in volumes:
                yield f"{cw}: mounts volume {mount.get('name')!r}, which the pod does not have"
    yield from _labels(f"{where} nodeSelector", pod.get("nodeSelector"))


def _selector_problems(where: str, selector: Mapping[str, Any], labels: Mapping[str, Any]) -> Iterator[str]:
    if not selector:
        yield f"{where}: empty selector"
    for key, value in selector.items():
        if labels.get(key) != value:
            yield f"{where}: selector {key}={value} does not match the pod template's labels"


def manifest_problems(doc: Mapping[str, Any], extended: Collection[str] | None = None) -> list[str]:
    """Problems of one Deployment, Service or InferenceService document.

    ``extended``: the extended resource names the cluster offers (None: any name).
    """
    kind = doc.get("kind")
    meta = doc.get("metadata") or {}
    where = f"{kind} {meta.get('name')!r}"
    out = list(_labels(where, meta.get("labels")))
    spec = doc.get("spec") or {}
    if kind == "Deployment":
        out += _name(where, meta, _DNS_1123_LABEL)
        template = spec.get("template") or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        out += _labels(f"{where} template", labels)
        out += _selector_problems(where, (spec.get("selector") or {}).get("matchLabels") or {}, labels)
        out += pod_problems(where, template.get("spec") or {}, extended)
        if not isinstance(spec.get("replicas"), int) or spec["replicas"] < 1:
            out.append(f"{where}: replicas must be a whole number >= 1")
    elif kind == "Service":
        out += _name(where, meta, _DNS_1035_LABEL)
        if not spec.get("selector"):
            out.append(f"{where}: no selector")
    elif kind == "InferenceService":
        out += _name(where, meta, _DNS_1035_LABEL)
        predictor = spec.get("predictor") or {}
        out += pod_problems(where, predictor, extended)
        if predictor.get("minReplicas") != predictor.get("maxReplicas"):
            out.append(f"{where}: minReplicas must equal maxReplicas (the plan's replicas)")
    return out


def service_selects(service: Mapping[str, Any], deployment: Mapping[str, Any]) -> bool:
    """True when the Service's selector picks the Deployment's pods."""
    selector = (service.get("spec") or {}).get("selector") or {}
    labels = ((deployment.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())
