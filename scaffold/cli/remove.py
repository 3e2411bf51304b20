"""`mio remove`: a catalog pattern taken out of a service, in place."""

from functools import partial
from pathlib import Path

from scaffold.cli._choices import examples
from scaffold.cli._common import DryRunOption, PathOption, PatternArgument, report_one

REMOVE_HELP = """Remove a catalog pattern from a service, in place.

Files only that pattern brought go away, unless you edited them: those are kept
and reported. Dependencies and settings follow the pattern.

""" + examples("mio remove retry --path services/orders")


def remove_command(
    pattern_id: PatternArgument,
    path: PathOption = Path("."),
    dry_run: DryRunOption = False,
) -> None:
    from scaffold.change import remove_pattern

    report_one(partial(remove_pattern, pattern_id=pattern_id, dry_run=dry_run), path)
