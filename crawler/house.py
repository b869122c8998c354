"""The site's own names, which are never authors: the house, and its signature after a name."""

from __future__ import annotations

import re

# Names the site signs with that are not persons (organisation authors are not authors).
HOUSE_NAME = re.compile(r"^\s*(?:sputnik|ria novosti|rossiya segodnya)\b", re.I)
# The house's signature after a person's name (markup.md §4: "Wilmer Leon. Sputnik International").
HOUSE_SUFFIX = re.compile(
    r"\s*(?:[.,;|-]\s*Sputnik(?:\s+International)?|\s+Sputnik\s+International)\s*$", re.I
)
