"""Which torch device a model runs on: one rule for every model ontomed loads."""

from __future__ import annotations

from typing import Any

from .errors import BadInputError


def resolve_device(name: str | None) -> Any:
    """``auto`` (CUDA when torch sees a GPU, else Apple's MPS, else the CPU), ``cpu``,
    ``cuda``, ``cuda:N`` or ``mps``; a GPU asked for but absent is bad input."""
    import torch

    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        return torch.device("mps" if mps is not None and mps.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise BadInputError(f"device must be auto, cpu, cuda, cuda:N or mps, not {name!r}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise BadInputError(f"device {name!r} asked for, but torch sees no CUDA GPU")
    return device
