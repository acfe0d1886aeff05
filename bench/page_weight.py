"""Web page weight (PERFORMANCE.md): bytes of HTML + JS + CSS a browser loads for the sign-in page
and the home page, uncompressed, following <script src>, <link href> and ES-module imports
(static and dynamic: every language catalog counts, although a page loads only one).

    python bench/page_weight.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]  # run as a script: bench.bars importable

from bench.bars import Bar  # noqa: E402

WEB = ROOT / "web"
BUDGET = 100 * 1024
PAGES = {"index.html": "sign-in", "home.html": "home"}
_HTML_REFS = re.compile(r"""<(?:script|link)\b[^>]*?(?:src|href)="([^"#?]+)""", re.I)
_JS_IMPORTS = re.compile(
    r"""(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*[`'"]([^`'"$]+)"""
)


def assets(page: str) -> dict[Path, int]:
    seen: dict[Path, int] = {}
    todo = [WEB / page]
    while todo:
        path = todo.pop().resolve()
        if path in seen or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        seen[path] = len(text.encode("utf-8"))
        if path.suffix == ".html":
            refs = _HTML_REFS.findall(text)
        elif path.suffix == ".js":
            refs = [a or b for a, b in _JS_IMPORTS.findall(text)]
            if "i18n/${" in text or "`../i18n/" in text:  # a catalog chosen at run time
                refs += [f"../i18n/{p.name}" for p in (WEB / "i18n").glob("*.js")]
        else:
            refs = []
        for ref in refs:
            if ref.startswith(("http:", "https:", "//", "data:")):
                continue
            base = WEB if ref.startswith("/") else path.parent
            todo.append(base / ref.lstrip("/"))
    return {p: n for p, n in seen.items() if p.suffix in {".html", ".js", ".css"}}


def weight(page: str) -> int:
    return sum(assets(page).values())


def bars() -> list[Bar]:
    """One row per page (sign-in, home): its HTML + JS + CSS against the budget; printed too."""
    rows = []
    for page, name in PAGES.items():
        files = assets(page)
        total = sum(files.values())
        verdict = "ok" if total <= BUDGET else "OVER"
        print(f"{page:12s} {total / 1024:6.1f} KB in {len(files)} files (budget 100 KB) {verdict}")
        measured = f"{total / 1024:.1f} KB in {len(files)} files"
        target = f"<= {BUDGET // 1024} KB HTML+JS+CSS, uncompressed"
        rows.append(Bar.check(f"web page: {name} ({page})", target, measured, total <= BUDGET))
    return rows


def main() -> int:
    return 1 if any(bar.verdict == "miss" for bar in bars()) else 0


if __name__ == "__main__":
    sys.exit(main())
