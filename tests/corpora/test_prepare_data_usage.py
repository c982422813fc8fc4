"""tools/prepare_data.sh rejects bad usage with one line on stderr and exit status 2 (before it
installs or writes anything).
Run from the repository root: python3 -m unittest discover -s tests/corpora
"""

import subprocess
import unittest
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "prepare_data.sh"


class Usage(unittest.TestCase):
    def run_script(self, *args):
        return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                              timeout=30)

    def test_bad_usage(self):
        for args in [(), ("bibel",), ("bible", "fortunes"), ("--all",)]:
            r = self.run_script(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stdout, "", args)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, (args, r.stderr))
            self.assertIn("usage: tools/prepare_data.sh bible|fortunes|all", r.stderr)

    def test_help(self):
        r = self.run_script("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("bible|fortunes|all", r.stdout)


if __name__ == "__main__":
    unittest.main()
