"""Ctrl-C at any moment of start-up: no traceback, a clean "已停止", nothing left running.

A terminal's Ctrl-C sends SIGINT to the whole foreground process group, so each command
runs in a session of its own and the group gets the signal, as from a shell.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from dashboard.runtime.processes import free_port

DEADLINE_S = 60.0


class Command:
    """A `gridwatch …` process started as from a shell, its output in a file."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.log = cwd / f"{args[0]}-{time.monotonic_ns()}.log"
        base = {k: v for k, v in os.environ.items() if not k.startswith("GRIDWATCH_")}
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "dashboard.cli", *args],
                cwd=cwd,
                env={**base, "COLUMNS": "200", "PYTHONPATH": str(Path.cwd()), **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, condition: Callable[[], object], what: str) -> None:
        deadline = time.monotonic() + DEADLINE_S
        while not condition():
            assert self.process.poll() is None, f"exited before {what}:\n{self.output}"
            assert time.monotonic() < deadline, f"never {what}:\n{self.output}"
            time.sleep(0.02)

    def ctrl_c(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)

    def assert_stopped_cleanly(self, others: Sequence[int] = ()) -> None:
        try:
            self.process.wait(DEADLINE_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise AssertionError(f"did not stop after Ctrl-C:\n{self.output}") from None
        output = self.output
        assert "Traceback" not in output, output
        assert "KeyboardInterrupt" not in output, output
        assert "已停止" in output, output
        left = [pid for pid in [*_in_session(self.process.pid), *others] if _alive(pid)]
        assert not left, f"still running after Ctrl-C: {_describe(left)}\n{output}"


def _in_session(sid: int) -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid=,sid="], capture_output=True, text=True).stdout
    return [int(pid) for pid, s in (line.split() for line in out.splitlines()) if int(s) == sid]


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _alive(pid: int) -> bool:
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return bool(state.stdout.strip()) and not state.stdout.strip().startswith("Z")


def _describe(pids: list[int]) -> str:
    out = subprocess.run(
        ["ps", "-o", "pid=,args=", "-p", ",".join(map(str, pids))], capture_output=True, text=True
    )
    return out.stdout


def _loaded(pid: int, library: str) -> bool:
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def test_ctrl_c_while_the_simulator_is_still_importing(tmp_path: Path) -> None:
    sim = Command(["simulate", "--url", f"http://127.0.0.1:{free_port()}"], tmp_path, {})
    # pydantic's compiled core is loaded while the command line is being imported
    sim.wait_for(lambda: _loaded(sim.process.pid, "pydantic_core"), "importing")
    sim.ctrl_c()
    sim.assert_stopped_cleanly()


def test_ctrl_c_while_the_simulator_waits_for_its_server(
    tmp_path: Path, small_city_url: str, redis_url: str
) -> None:
    env = {"GRIDWATCH_DATABASE_URL": small_city_url, "GRIDWATCH_REDIS_URL": redis_url}
    url = f"http://127.0.0.1:{free_port()}"  # nothing answers there yet
    sim = Command(["simulate", "--url", url, "--staff", "20"], tmp_path, env)
    sim.wait_for(lambda: "模拟终端" in sim.output, "provisioned its terminals")
    sim.ctrl_c()
    sim.assert_stopped_cleanly()


def test_ctrl_c_while_the_demo_seeds_its_city(tmp_path: Path) -> None:
    port = str(free_port())
    demo = Command(["demo", "--scale", "small", "--port", port], tmp_path, {})
    demo.wait_for(lambda: "首次运行" in demo.output, "started seeding")
    demo.ctrl_c()
    demo.assert_stopped_cleanly()


def test_ctrl_c_while_the_demos_simulator_is_still_starting(tmp_path: Path) -> None:
    port = str(free_port())
    args = ["demo", "--scale", "small", "--port", port, "--simulated-staff", "20"]
    demo = Command(args, tmp_path, {})
    simulator: list[int] = []

    def simulator_starting() -> bool:
        """The simulator runs and is busy importing (well before it reports anything)."""
        for pid in _children(demo.process.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"simulate" in cmdline and _loaded(pid, "pydantic_core"):
                simulator.append(pid)
                return True
        return False

    demo.wait_for(simulator_starting, "started its simulator")
    children = _children(demo.process.pid)  # redis-server and the simulator
    assert len(children) >= 2, _describe(children)
    demo.ctrl_c()
    demo.assert_stopped_cleanly(others=children)
