"""Model-to-GPU fit: does a model, at its context length, fit the GPUs of one replica?

The one estimate the config check, the preview summary and (in Rego, over the same data)
SLA-014 make. Its assumptions are data (``estimate:`` in ``policies/data/models.yaml``):

- weights = parameters x bytes per weight (the quantization's, else the serving dtype's)
  x (1 + weightOverhead);
- KV cache = 2 (K and V) x layers x KV heads x head dim x bytes x tokens, where tensor parallelism
  over more GPUs than KV heads replicates heads (each GPU keeps at least one);
- runtimeMarginGiB per GPU (CUDA context, activation peak, graphs, NCCL);
- vLLM may use gpuMemoryGiB x GPUs x gpuMemoryUtilization.

Weights, runtime and the KV cache of one sequence at maxModelLen must fit that budget; vLLM
refuses to start otherwise. maxModelLen may not exceed the model's context (then the memory is
not judged), and the tensor parallel size must divide the attention heads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from components import catalog

GIB = 1 << 30
AUTO = "auto"


class FitField(StrEnum):
    """The setting a fit problem is about (what to change)."""

    MAX_MODEL_LEN = "maxModelLen"
    TENSOR_PARALLEL = "tensorParallelSize"
    GPUS = "gpusPerReplica"


@dataclass(frozen=True)
class FitProblem:
    field: FitField
    message: str


@dataclass(frozen=True)
class Fit:
    """One replica's memory budget and what uses it, in GiB."""

    weights_gib: float
    kv_gib_per_sequence: float
    runtime_gib: float
    budget_gib: float
    kv_bytes_per_token: int
    kv_capacity_tokens: int
    full_sequences: int
    problems: tuple[FitProblem, ...]

    @property
    def need_gib(self) -> float:
        return self.weights_gib + self.kv_gib_per_sequence + self.runtime_gib

    @property
    def headroom_gib(self) -> float:
        return self.budget_gib - self.need_gib


def gib_text(value: float) -> str:
    """GiB with one decimal, rounded half up (SLA-014 writes its numbers the same way)."""
    tenths = math.floor(value * 10 + 0.5)
    return f"{tenths // 10}.{tenths % 10}"


def percent_text(fraction: float) -> str:
    return f"{math.floor(fraction * 100 + 0.5)} %"


def weight_bytes(
    facts: catalog.ModelFacts, quantization: str | None, dtype: str = AUTO
) -> float | None:
    """Bytes per weight, or None for a quantization method the estimate does not know."""
    constants = catalog.fit_constants()
    method = quantization or facts.quantization
    if method:
        return constants.weight_bytes.get(method)
    return constants.dtype_bytes.get(dtype)


def estimate(
    model_id: str,
    facts: catalog.ModelFacts,
    *,
    max_model_len: int,
    tensor_parallel: int,
    gpu_memory_gib: float,
    gpu_memory_utilization: float,
    gpu: str,
    quantization: str | None = None,
    dtype: str = AUTO,
    kv_cache_dtype: str = AUTO,
) -> Fit:
    """The fit of one replica of ``model_id`` on ``tensor_parallel`` GPUs of ``gpu``."""
    constants = catalog.fit_constants()
    per_weight = weight_bytes(facts, quantization, dtype)
    if per_weight is None:
        raise ValueError(f"no bytes-per-weight for quantization {quantization!r}")
    kv_bytes = constants.dtype_bytes[dtype if kv_cache_dtype == AUTO else kv_cache_dtype]
    weights = facts.parameters * per_weight * (1 + constants.weight_overhead) / GIB
    kv_heads = max(1, facts.kv_heads // tensor_parallel) * tensor_parallel
    per_token = int(2 * facts.layers * kv_heads * facts.head_dim * kv_bytes)
    kv_sequence = per_token * max_model_len / GIB
    runtime = constants.runtime_margin_gib * tensor_parallel
    budget = gpu_memory_gib * tensor_parallel * gpu_memory_utilization
    capacity = max(0, math.floor((budget - weights - runtime) * GIB / per_token))

    problems: list[FitProblem] = []
    if max_model_len > facts.max_context:
        problems.append(
            FitProblem(
                FitField.MAX_MODEL_LEN,
                f"maxModelLen {max_model_len} exceeds the {facts.max_context} tokens "
                f"{model_id} supports (max_position_embeddings)",
            )
        )
    if facts.attention_heads is not None and facts.attention_heads % tensor_parallel:
        problems.append(
            FitProblem(
                FitField.TENSOR_PARALLEL,
                f"tensor parallel size {tensor_parallel} does not divide the "
                f"{facts.attention_heads} attention heads of {model_id}",
            )
        )
    need = weights + kv_sequence + runtime
    # Past the model's context the memory estimate describes no server vLLM would start.
    if need > budget and max_model_len <= facts.max_context:
        field = FitField.GPUS if weights + runtime > budget else FitField.MAX_MODEL_LEN
        problems.append(
            FitProblem(
                field,
                f"{model_id} needs {gib_text(need)} GiB per replica (weights "
                f"{gib_text(weights)} GiB + KV cache {gib_text(kv_sequence)} GiB for one "
                f"{max_model_len}-token sequence + runtime {gib_text(runtime)} GiB) but "
                f"{tensor_parallel} x {gib_text(gpu_memory_gib)} GiB {gpu} at "
                f"{percent_text(gpu_memory_utilization)} gives {gib_text(budget)} GiB",
            )
        )
    return Fit(
        weights_gib=weights,
        kv_gib_per_sequence=kv_sequence,
        runtime_gib=runtime,
        budget_gib=budget,
        kv_bytes_per_token=per_token,
        kv_capacity_tokens=capacity,
        full_sequences=capacity // max_model_len,
        problems=tuple(problems),
    )
