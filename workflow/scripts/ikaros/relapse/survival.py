"""Secondary endpoints: event-free and overall survival by Kaplan-Meier, log-rank tests.

Event-free survival counts any first event (relapse, death in remission, second malignancy,
whatever competes) from diagnosis. Overall survival needs a vital status and its time, named in
config (``os_time_column``, ``os_status_column``); without them it is not computed. Estimates and
log(-log) confidence limits are lifelines' (Greenwood variance); a group followed for less than
the horizon is not estimable there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

from ikaros.relapse.groups import truthy
from ikaros.relapse.settings import TIME_UNITS, RelapseSettings

SURVIVAL_COLUMNS = (
    "endpoint", "comparison", "group", "n", "events", "horizon_years", "survival", "ci_lower",
    "ci_upper", "estimable", "logrank_statistic", "logrank_df", "logrank_p", "note",
)  # fmt: skip


def endpoints(table: pd.DataFrame, settings: RelapseSettings) -> dict:
    """Endpoint name -> (time in years, event 0/1 as arrays aligned with the table)."""
    out = {
        "event-free survival": (
            table["time_years"].to_numpy(float),
            (table["event"] != "censored").to_numpy(int),
        )
    }
    if settings.os_time_column is not None:
        for column in (settings.os_time_column, settings.os_status_column):
            if column not in table.columns:
                raise KeyError(f"relapse: overall-survival column {column!r} is not in the sheet")
        time = pd.to_numeric(table[settings.os_time_column], errors="coerce").to_numpy(float)
        words = {"dead": True, "alive": False}
        status = table[settings.os_status_column].map(
            lambda v: words.get(str(v).strip().lower(), v)
        )
        dead = truthy(status, settings.os_status_column, "clinical sheet").to_numpy()
        out["overall survival"] = (time * TIME_UNITS[settings.time_unit], dead)
    return out


def kaplan_meier_at(time, event, horizon: float, level: float) -> dict:
    """KM survival at the horizon with lifelines' log(-log) interval; NaN beyond follow-up."""
    if time.max() < horizon:
        return {"survival": np.nan, "ci_lower": np.nan, "ci_upper": np.nan, "estimable": False}
    fitter = KaplanMeierFitter(alpha=1 - level)
    timeline = np.union1d(np.unique(time), [horizon])
    fitter.fit(time, event, timeline=timeline)
    ci = fitter.confidence_interval_survival_function_
    return {
        "survival": float(fitter.survival_function_.loc[horizon].iloc[0]),
        "ci_lower": float(ci.loc[horizon].iloc[0]),
        "ci_upper": float(ci.loc[horizon].iloc[1]),
        "estimable": True,
    }


def survival_table(table: pd.DataFrame, comparisons: dict, settings: RelapseSettings):
    """One row per endpoint, comparison and group, with the comparison's log-rank test."""
    rows = []
    horizon = settings.horizon_years
    for endpoint, (time_all, event_all) in endpoints(table, settings).items():
        for name, (labels, levels) in comparisons.items():
            mask = np.array([v is not None for v in labels]) & ~np.isnan(time_all)
            if not mask.any():
                continue
            time, event = time_all[mask], event_all[mask]
            event = np.nan_to_num(event).astype(int)
            group = labels[mask].astype(str).to_numpy()
            present = [lv for lv in levels if lv in set(group)]
            present += sorted(set(group) - set(levels))
            test = {}
            if len(present) > 1:
                result = multivariate_logrank_test(time, group, event)
                test = {
                    "logrank_statistic": float(result.test_statistic),
                    "logrank_df": int(result.degrees_of_freedom),
                    "logrank_p": float(result.p_value),
                }
            for level in present:
                in_group = group == level
                estimate = kaplan_meier_at(
                    time[in_group], event[in_group], horizon, settings.confidence
                )
                note = ""
                if not estimate["estimable"]:
                    note = (
                        f"not estimable: longest follow-up {time[in_group].max():.2f} y < "
                        f"horizon {horizon:g} y"
                    )
                rows.append(
                    {
                        "endpoint": endpoint,
                        "comparison": name,
                        "group": level,
                        "n": int(in_group.sum()),
                        "events": int(event[in_group].sum()),
                        "horizon_years": horizon,
                        **estimate,
                        **test,
                        "note": note,
                    }
                )
    return pd.DataFrame(rows, columns=list(SURVIVAL_COLUMNS))
