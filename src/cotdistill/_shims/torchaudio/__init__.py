"""Minimal stand-in for torchaudio, put on PYTHONPATH only for LLaMA-Factory runs where the real package
is absent: LLaMA-Factory 0.9.5 imports it at start-up for audio inputs, which text-only training never
uses. Any real use fails loudly."""


def load(*args, **kwargs):
    raise ImportError("torchaudio is not installed; audio datasets need the real package")


class functional:  # noqa: N801 - mirrors torchaudio.functional
    @staticmethod
    def resample(*args, **kwargs):
        raise ImportError("torchaudio is not installed; audio datasets need the real package")
