"""Teacher and student system prompts (UNDO's reimplementation uses both): the teacher's goes first in every
request, the student's into LLaMA-Factory's default_system for training (and generation)."""

from __future__ import annotations

from cotdistill import teachers
from cotdistill.teachers.base import Completion, Request
from cotdistill.teachers.config import TeacherConfig
from cotdistill.train import lf_config


class Recorder:
    cacheable = False

    def __init__(self):
        self.seen = []

    def complete(self, request):
        self.seen.append(request.messages)
        return Completion(text="ok", finish_reason="stop")


def test_teacher_system_prompt_goes_first(monkeypatch):
    rec = Recorder()
    monkeypatch.setattr(teachers, "make_backend", lambda name, cfg: rec)
    reqs = [Request(messages=[{"role": "user", "content": "2+2?"}], params={}),
            Request(messages=[{"role": "system", "content": "own"}, {"role": "user", "content": "3+3?"}], params={})]
    teachers.run_requests("t", {"kind": "offline", "system": "Be strict."}, reqs)
    assert rec.seen[0] == [{"role": "system", "content": "Be strict."}, {"role": "user", "content": "2+2?"}]
    assert rec.seen[1][0] == {"role": "system", "content": "own"} and len(rec.seen[1]) == 2   # a request's own system prompt wins
    rec.seen.clear()
    teachers.run_requests("t", {"kind": "offline"}, reqs[:1])
    assert rec.seen[0] == [{"role": "user", "content": "2+2?"}]
    assert TeacherConfig.from_dict("t", {"kind": "openai", "model": "m", "system": "Be strict."}).system == "Be strict."


def test_student_system_prompt_is_llamafactorys_default_system(tmp_path):
    student = {"model": "Qwen/Qwen2.5-Math-1.5B-Instruct", "template": "qwen", "system": "You are a precise math problem solver."}
    cfg = lf_config(student, student["model"], str(tmp_path), str(tmp_path / "out"))
    assert cfg["default_system"] == "You are a precise math problem solver." and cfg["template"] == "qwen"
    assert "default_system" not in lf_config({k: v for k, v in student.items() if k != "system"}, student["model"], str(tmp_path),
                                             str(tmp_path / "out"))
