# Variables of a fleetplan terraform export (plan export --to terraform): the node pools a plan
# needs per provider, with whole-instance counts per period. Wire them into your own GKE / EKS
# modules; `period` picks the counts to apply. Written by fleetplan; the values are in
# fleet.tfvars.json beside this file.

variable "periods" {
  description = "The plan's periods, in order."
  type        = list(string)
}

variable "period" {
  description = "The period whose instance counts to apply (one of periods)."
  type        = string
  validation {
    condition     = contains(var.periods, var.period)
    error_message = "The period must be one of periods."
  }
}

variable "gke_node_pools" {
  description = "GKE node pools (provider gcp): machine type, accelerator type and count per node, Spot, nodes per period."
  type = list(object({
    name              = string
    accelerator       = string
    tier              = string
    machine_type      = string
    accelerator_type  = string
    accelerator_count = number
    spot              = bool
    node_count        = map(number)
  }))
  default = []
  validation {
    condition = alltrue([
      for p in var.gke_node_pools : p.accelerator_count >= 1 && alltrue([
        for n in values(p.node_count) : n >= 0 && floor(n) == n
      ])
    ])
    error_message = "Node counts must be whole numbers >= 0 and accelerator_count at least 1."
  }
}

variable "eks_node_groups" {
  description = "EKS managed node groups (provider aws): instance types, capacity type, instances per period."
  type = list(object({
    name                      = string
    accelerator               = string
    tier                      = string
    instance_types            = list(string)
    capacity_type             = string
    accelerators_per_instance = number
    desired_size              = map(number)
  }))
  default = []
  validation {
    condition = alltrue([
      for g in var.eks_node_groups : contains(["ON_DEMAND", "SPOT", "CAPACITY_BLOCK"], g.capacity_type) && alltrue([
        for n in values(g.desired_size) : n >= 0 && floor(n) == n
      ])
    ])
    error_message = "capacity_type must be ON_DEMAND, SPOT or CAPACITY_BLOCK and sizes whole numbers >= 0."
  }
}

variable "other_node_pools" {
  description = "Instances from other providers (no managed node pool type here): instance type, instances per period."
  type = list(object({
    name                      = string
    provider                  = string
    accelerator               = string
    tier                      = string
    instance_type             = string
    accelerators_per_instance = number
    instances                 = map(number)
  }))
  default = []
  validation {
    condition = alltrue([
      for p in var.other_node_pools : alltrue([for n in values(p.instances) : n >= 0 && floor(n) == n])
    ])
    error_message = "Instance counts must be whole numbers >= 0."
  }
}
