"""Record the current template as the release of mio's current version.

The template's released versions ship inside the package as a git bundle
(``scaffold/template-history.bundle``): each release is a commit holding
``copier.yml`` and ``template/``, tagged ``v<version>``. Services record the tag,
so ``mio update`` can rebuild any released version offline.

    python scripts/release_template.py            # add v<version> (refuses an existing tag)
    python scripts/release_template.py --replace  # re-record the newest, unpublished version
    python scripts/release_template.py --bundle trial.bundle --tag v9.9.9
        # a trial history for template developers: MIO_TEMPLATE_HISTORY=trial.bundle mio update

Run it whenever ``template/`` or ``copier.yml`` changes; a test fails while the
newest recorded version differs from them.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scaffold import __version__  # noqa: E402
from scaffold.errors import MioError  # noqa: E402
from scaffold.history import record_release  # noqa: E402
from scaffold.resources import HISTORY_BUNDLE, template_tag  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--replace", action="store_true", help="re-record an existing tag")
    parser.add_argument(
        "--bundle", type=Path, help="history to record into (default: the shipped one)"
    )
    parser.add_argument("--tag", help="release tag (default: v<mio version>)")
    args = parser.parse_args()
    bundle = (args.bundle or HISTORY_BUNDLE).resolve()
    tag = template_tag(args.tag or __version__)
    if args.bundle and not bundle.exists() and HISTORY_BUNDLE.is_file():
        # A trial history starts from every shipped release.
        shutil.copy2(HISTORY_BUNDLE, bundle)
    try:
        record_release(ROOT, bundle, tag, replace=args.replace)
    except MioError as exc:
        raise SystemExit(exc.message) from None
    print(f"released template {tag} into {bundle}")


if __name__ == "__main__":
    main()
