"""QLoRA students (finetuning: qlora, LLaMA-Factory's quantization_bit 4) need bitsandbytes in the LLaMA-Factory
environment: pinned in envs/llamafactory.txt, at a version whose torch requirement admits the pinned torch, and
installed by `make setup`."""

from __future__ import annotations

import json
import subprocess

from packaging.requirements import Requirement
from packaging.version import Version

from cotdistill.envs import txt_pins
from conftest import ROOT


def pins() -> dict[str, str]:
    return dict(pin.split("==") for pin in txt_pins(ROOT / "envs" / "llamafactory.txt"))


def test_bitsandbytes_is_pinned_beside_torch():
    assert pins()["bitsandbytes"] == "0.49.2"


def test_the_installed_bitsandbytes_is_the_pin_and_fits_the_pinned_torch(lf_python):
    probe = ("import importlib.metadata as m, json; "
             "print(json.dumps([m.version('bitsandbytes'), m.requires('bitsandbytes'), m.version('torch')]))")
    version, requires, torch = json.loads(subprocess.run([str(lf_python), "-c", probe], capture_output=True, text=True,
                                                         check=True, timeout=60).stdout)
    assert version == pins()["bitsandbytes"]
    torch_req = next(Requirement(r) for r in requires if Requirement(r).name == "torch" and not Requirement(r).marker)
    assert Version(pins()["torch"]) in torch_req.specifier, torch_req
    assert Version(torch).base_version == pins()["torch"]
