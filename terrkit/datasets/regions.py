"""US Census divisions of the contiguous states (used to group small states into territories)."""

from __future__ import annotations

CENSUS_DIVISION: dict[str, str] = {
    **dict.fromkeys(["CT", "ME", "MA", "NH", "RI", "VT"], "New England"),
    **dict.fromkeys(["NJ", "NY", "PA"], "Middle Atlantic"),
    **dict.fromkeys(["IL", "IN", "MI", "OH", "WI"], "East North Central"),
    **dict.fromkeys(["IA", "KS", "MN", "MO", "NE", "ND", "SD"], "West North Central"),
    **dict.fromkeys(["DE", "DC", "FL", "GA", "MD", "NC", "SC", "VA", "WV"], "South Atlantic"),
    **dict.fromkeys(["AL", "KY", "MS", "TN"], "East South Central"),
    **dict.fromkeys(["AR", "LA", "OK", "TX"], "West South Central"),
    **dict.fromkeys(["AZ", "CO", "ID", "MT", "NV", "NM", "UT", "WY"], "Mountain"),
    **dict.fromkeys(["CA", "OR", "WA"], "Pacific"),
}
