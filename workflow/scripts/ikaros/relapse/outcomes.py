"""Clinical sheet -> analysis time (years from diagnosis) and competing-risks status codes.

Status codes follow cmprsk: 1 relapse (the event of interest), 2 a competing event (those listed
in ``settings.competing``), 0 censored. Site-specific codes (e.g. ``cns_relapse``) are mapped
onto the canonical events by ``settings.event_codes``; a canonical event that does not compete
(e.g. second malignancy when only death in remission competes) is censored at its time.
Patients without usable follow-up are dropped and returned with the reason, never silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ikaros.relapse.settings import CANONICAL_EVENTS, TIME_UNITS, RelapseSettings

RELAPSE, COMPETING, CENSORED = 1, 2, 0
OUTCOME_COLUMNS = ("patient_id", "time_years", "event", "status")


class ClinicalSheetError(ValueError):
    """The clinical sheet breaks a rule; the message names the sheet, row, column and rule."""


@dataclass(frozen=True)
class Outcomes:
    """Per-patient outcomes (``table``) and the patients left out (``dropped``).

    table: patient_id, time_years, event (canonical name), status (0/1/2), then every other
    clinical column (the raw event column renamed ``event_code``). dropped: patient_id, reason.
    """

    table: pd.DataFrame
    dropped: pd.DataFrame


def _row(position: int) -> str:
    return f"row {position + 2}"  # header is line 1


def canonical_event(raw, codes: dict) -> str | None:
    """The canonical event for a raw sheet code; None for an unknown code."""
    key = str(raw).strip()
    if key in codes:
        return codes[key]
    return key if key in CANONICAL_EVENTS else None


def status_code(event: str, competing) -> int:
    if event == "relapse":
        return RELAPSE
    if event in competing:
        return COMPETING
    return CENSORED


def prepare_outcomes(
    clinical: pd.DataFrame, settings: RelapseSettings, source: str = "clinical sheet"
) -> Outcomes:
    """Analysis times in years and status codes for every patient with follow-up."""
    for column in ("patient_id", settings.followup_column, settings.event_column):
        if column not in clinical.columns:
            raise ClinicalSheetError(
                f"{source}: column {column!r} is missing; columns are {list(clinical.columns)}"
            )
    ids = clinical["patient_id"]
    if ids.isna().any():
        position = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise ClinicalSheetError(f"{source}: {_row(position)}, column patient_id: empty")
    duplicated = ids.astype(str).duplicated()
    if duplicated.any():
        position = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise ClinicalSheetError(
            f"{source}: {_row(position)}, column patient_id: duplicate {ids.iloc[position]!r}"
        )

    raw_time = clinical[settings.followup_column]
    time = pd.to_numeric(raw_time, errors="coerce")
    bad = time.isna() & raw_time.notna() & (raw_time.astype(str).str.strip() != "")
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise ClinicalSheetError(
            f"{source}: {_row(position)} (patient {ids.iloc[position]}), column "
            f"{settings.followup_column}: {raw_time.iloc[position]!r} is not a number"
        )
    negative = time < 0
    if negative.any():
        position = int(np.flatnonzero(negative.to_numpy())[0])
        raise ClinicalSheetError(
            f"{source}: {_row(position)} (patient {ids.iloc[position]}), column "
            f"{settings.followup_column}: {time.iloc[position]} is negative; expected a "
            "follow-up time >= 0"
        )

    events, statuses, reasons = [], [], []
    for position, raw in enumerate(clinical[settings.event_column]):
        reason = None
        if pd.isna(time.iloc[position]):
            reason = f"no follow-up time ({settings.followup_column} empty)"
        if raw is None or (isinstance(raw, float) and np.isnan(raw)) or str(raw).strip() == "":
            events.append(None)
            statuses.append(None)
            reasons.append(reason or f"no event recorded ({settings.event_column} empty)")
            continue
        event = canonical_event(raw, settings.event_codes)
        if event is None:
            known = sorted(set(CANONICAL_EVENTS) | set(settings.event_codes))
            raise ClinicalSheetError(
                f"{source}: {_row(position)} (patient {ids.iloc[position]}), column "
                f"{settings.event_column}: unknown event code {raw!r}; expected one of {known} "
                "(map site-specific codes with relapse.event_codes)"
            )
        if reason is None and time.iloc[position] == 0 and event == "censored":
            reason = "no follow-up (censored at time 0)"
        events.append(event)
        statuses.append(status_code(event, settings.competing))
        reasons.append(reason)

    keep = np.array([r is None for r in reasons])
    # The raw code stays as event_code; "event" holds the canonical name.
    table = clinical.loc[keep].rename(columns={settings.event_column: "event_code"})
    table.insert(1, "time_years", time[keep].to_numpy(float) * TIME_UNITS[settings.time_unit])
    table.insert(2, "event", [e for e, k in zip(events, keep, strict=True) if k])
    table.insert(3, "status", np.array([s for s, k in zip(statuses, keep, strict=True) if k], int))
    table["patient_id"] = table["patient_id"].astype(str)
    dropped = pd.DataFrame(
        {
            "patient_id": ids[~keep].astype(str).to_list(),
            "reason": [r for r in reasons if r is not None],
        }
    )
    return Outcomes(table.reset_index(drop=True), dropped)
