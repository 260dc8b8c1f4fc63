"""Run one connector command in a child process and report its own wall time, CPU seconds and peak RSS,
and when it was launched (epoch seconds, to compare with the local store's request log)."""

import json
import resource
import subprocess
import sys
import time

if __name__ == "__main__":
    launched, started = time.time(), time.monotonic()
    done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stdout.buffer.write(done.stdout)
    print(json.dumps({"bench": {"exit": done.returncode, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
                                "launched": launched}}))
