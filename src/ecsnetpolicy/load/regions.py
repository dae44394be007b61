"""The AWS regions a template can be checked in: cfn-lint's list (``cfnlint.helpers.REGIONS``,
copied because importing cfn-lint costs over a second; ``tests/test_regions_params.py`` fails when
the two differ), so a region name cfn-lint refuses is refused here too, with the same one-line
error instead of findings judged against a region that does not exist."""

from __future__ import annotations

import difflib
from typing import Iterable, List

REGIONS = (
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
    "ap-southeast-6", "ap-southeast-7", "ca-west-1", "ca-central-1", "cn-north-1", "cn-northwest-1", "eu-central-1",
    "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1",
    "me-south-1", "me-central-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-gov-east-1",
    "us-gov-west-1", "us-west-1", "us-west-2", "us-iso-east-1", "us-iso-west-1", "us-isob-east-1", "us-isob-west-1",
    "us-isof-east-1", "us-isof-south-1", "eu-isoe-west-1", "eusc-de-east-1",
)


class RegionError(ValueError):
    pass


def check_regions(regions: Iterable[str]) -> List[str]:
    """The regions, in order and without repeats, or RegionError (one line) naming the first that
    is not an AWS region, with the nearest names."""
    out: List[str] = []
    for region in regions:
        if region not in REGIONS:
            near = difflib.get_close_matches(str(region), REGIONS, n=2)
            hint = f" (did you mean {' or '.join(near)}?)" if near else ""
            raise RegionError(f"{region!r} is not an AWS region{hint}")
        if region not in out:
            out.append(region)
    return out
