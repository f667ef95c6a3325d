"""The grids app is split by concern (docs/decisions/0007-grids-subpackages.md):

- grids.geography — grid profiles, boundaries, point → grid lookup
- grids.rosters   — workers, roster entries, compliance, visits

Each sub-package has its own models/actions/selectors/access/apis modules;
this module re-exports the models so Django finds them in the grids app.
"""

from grids.geography.models import *  # noqa: F403
from grids.rosters.models import *  # noqa: F403
