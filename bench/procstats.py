"""Wall time, CPU time and peak memory of a whole process tree, from wait4 and /proc.

The machine these figures come from is shared, so every figure carries the CPU time as well
as the wall time, and the load average when it was taken. Processes the measured command
leaves behind (the engine worker, killed when the gate exits) are re-parented to this
process (``PR_SET_CHILD_SUBREAPER``) and reaped here, so their CPU time and memory count.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux); False where the call is unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def load_average() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return (round(one, 2), round(five, 2), round(fifteen, 2))


def peak_rss_mib(pid: int | str = "self") -> float:
    """A live process's peak resident set (VmHWM), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int | str = "self") -> float:
    """A live process's user + system CPU time so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_rss_mib(root: int) -> float:
    """The resident set of ``root`` and all its descendants now, MiB."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(rss.get(pid, 0) for pid in tree) / 2**20


class _Watch(threading.Thread):
    """Samples the tree's resident set; kills the tree above ``cap_mib``."""

    def __init__(self, root: int, cap_mib: float | None) -> None:
        super().__init__(daemon=True)
        self.root, self.cap_mib = root, cap_mib
        self.peak_mib = 0.0
        self.stopped_over_cap = False
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.25):
            now = _tree_rss_mib(self.root)
            self.peak_mib = max(self.peak_mib, now)
            if self.cap_mib is not None and now > self.cap_mib:
                self.stopped_over_cap = True
                os.killpg(self.root, signal.SIGKILL)
                return


@dataclass(frozen=True)
class TreeRun:
    """One run of a command and of every process it started."""

    wall_s: float
    cpu_s: float
    # Each reaped process's own peak, summed: an upper bound of the tree's peak.
    peak_rss_mib: float
    # The largest sum of the tree's resident sets seen, sampled every 0.25 s.
    sampled_peak_mib: float
    returncode: int
    load: tuple[float, float, float]
    stdout: str
    stopped_over_cap: bool = False


def run_tree(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    rss_cap_mib: float | None = None,
) -> TreeRun:
    """Run ``command`` to completion, then reap it and every descendant left behind.

    With ``rss_cap_mib`` the tree is killed when its resident set goes above it (an engine
    that would exhaust the shared machine's memory); ``stopped_over_cap`` says so.
    """
    load = load_average()
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=out,
            start_new_session=True,
        )
        watch = _Watch(process.pid, rss_cap_mib)
        watch.start()
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        watch.done.set()
        watch.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        peak_kib = usage.ru_maxrss
        while True:
            try:
                _pid, _status, orphan = os.wait4(-1, 0)
            except ChildProcessError:
                break
            cpu += orphan.ru_utime + orphan.ru_stime
            peak_kib += orphan.ru_maxrss
        out.seek(0)
        stdout = out.read()
    return TreeRun(
        wall_s=wall,
        cpu_s=cpu,
        peak_rss_mib=peak_kib / 1024,
        sampled_peak_mib=watch.peak_mib,
        returncode=process.returncode,
        load=load,
        stdout=stdout,
        stopped_over_cap=watch.stopped_over_cap,
    )
