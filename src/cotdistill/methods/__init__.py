"""Distillation methods that need their own training loop (LLaMA-Factory cannot run them)."""
