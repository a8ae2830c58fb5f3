"""Settings of the relapse analysis, read from the config's ``relapse`` block with defaults.

Every key has a default, so ``RelapseSettings.from_config({})`` runs the reference study's
analysis: time in years, relapse of any site as the event of interest, death in remission and
second malignancy competing, a 5-year horizon, and MRD, age and WBC as clinical covariates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ikaros.subtype_names import SUBTYPES
from ikaros.subtypes.assign import normalise_subtype

CANONICAL_EVENTS = ("relapse", "death_in_remission", "second_malignancy", "censored")
TIME_UNITS = {"days": 1 / 365.25, "weeks": 7 / 365.25, "months": 1 / 12, "years": 1.0}
COVARIATE_KINDS = ("numeric", "binary", "categorical")
SUBTYPE_RISK_GROUPS = ("favourable", "intermediate", "unfavourable")


class RelapseConfigError(ValueError):
    """The relapse block of the config is inconsistent; the message names the key."""


@dataclass(frozen=True)
class Covariate:
    """A clinical covariate of the Fine-Gray models.

    kind ``numeric``: the column as is (optionally log10 after flooring at ``floor``);
    ``binary``: 1 when the value >= ``threshold``; ``categorical``: one dummy per level against
    ``reference``.
    """

    name: str
    column: str
    kind: str = "numeric"
    threshold: float | None = None
    reference: str | None = None
    log10: bool = False
    floor: float | None = None

    def check(self) -> None:
        where = f"relapse.covariates[{self.name!r}]"
        if self.kind not in COVARIATE_KINDS:
            raise RelapseConfigError(f"{where}.kind: {self.kind!r}; expected {COVARIATE_KINDS}")
        if self.kind == "binary" and self.threshold is None:
            raise RelapseConfigError(f"{where}.threshold: required for a binary covariate")
        if self.kind == "categorical" and self.reference is None:
            raise RelapseConfigError(f"{where}.reference: required for a categorical covariate")
        if self.log10 and (self.floor is None or self.floor <= 0):
            raise RelapseConfigError(f"{where}.floor: a positive floor is required with log10")

    @property
    def level_label(self) -> str:
        """The label of the 'exposed' level of a binary covariate, e.g. '>= 0.0001'."""
        return f">= {self.threshold:g}"


DEFAULT_COVARIATES = (
    Covariate("MRD end of induction", "mrd_eoi", "binary", threshold=1e-4),
    Covariate("Age", "age_years", "binary", threshold=10.0),
    Covariate("WBC", "wbc", "binary", threshold=50.0),
)

DEFAULT_MODELS = {
    "IKZF1 del4-7": "ikzf1_del4_7",
    "IKZF1plus (any IKZF1 deletion)": "ikzf1plus",
    "IKZF1plus (focal IKZF1 deletion)": "ikzf1plus_focal",
    # Not in the study: both exposures together, the form the outcome simulator draws from, so a
    # simulated cohort's report can be compared with the true sHRs.
    "IKZF1 alteration and IKZF1plus": ["ikzf1_altered", "ikzf1plus"],
}


SUBTYPE_SOURCES = ("derived", "derived_only", "clinical")


@dataclass(frozen=True)
class RelapseSettings:
    followup_column: str = "followup_years"
    time_unit: str = "years"
    event_column: str = "event"
    # Raw event code in the sheet -> canonical event; canonical codes map onto themselves.
    event_codes: dict = field(default_factory=dict)
    competing: tuple = ("death_in_remission", "second_malignancy")
    horizon_years: float = 5.0
    covariates: tuple = DEFAULT_COVARIATES
    subtype_column: str = "subtype"
    # which subtype the analysis uses: derived (the pipeline's, the clinical sheet's where the
    # derived one is undetermined), derived_only, or clinical
    subtype_source: str = "derived"
    subtype_reference: str = "intermediate"
    adjust_for_subtype_group: bool = True
    subtype_risk_overrides: dict = field(default_factory=dict)
    extra_groupings: dict = field(default_factory=dict)  # comparison name -> clinical column
    # Fine-Gray models: name -> exposure column(s) made by groups.add_exposures (a name or a list)
    models: dict = field(default_factory=lambda: dict(DEFAULT_MODELS))
    os_time_column: str | None = None
    os_status_column: str | None = None  # 1/true/dead = death
    confidence: float = 0.95
    cir_bands: bool = False  # draw the CIR curves' pointwise confidence bands

    @classmethod
    def from_config(cls, block: dict | None) -> RelapseSettings:
        block = dict(block or {})
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(block) - known)
        if unknown:
            raise RelapseConfigError(f"relapse: unknown keys {unknown}; known keys {sorted(known)}")
        if "covariates" in block:
            covs = []
            for i, item in enumerate(block["covariates"]):
                if not isinstance(item, dict) or "name" not in item or "column" not in item:
                    raise RelapseConfigError(
                        f"relapse.covariates[{i}]: expected a mapping with name and column"
                    )
                try:
                    covs.append(Covariate(**item))
                except TypeError as error:
                    raise RelapseConfigError(f"relapse.covariates[{i}]: {error}") from None
            block["covariates"] = tuple(covs)
        if "competing" in block:
            block["competing"] = tuple(block["competing"])
        settings = cls(**block)
        settings.check()
        return settings

    def check(self) -> None:
        if self.time_unit not in TIME_UNITS:
            raise RelapseConfigError(
                f"relapse.time_unit: {self.time_unit!r}; expected one of {sorted(TIME_UNITS)}"
            )
        if not self.horizon_years > 0:
            raise RelapseConfigError(f"relapse.horizon_years: {self.horizon_years}; expected > 0")
        for raw, canonical in self.event_codes.items():
            if canonical not in CANONICAL_EVENTS:
                raise RelapseConfigError(
                    f"relapse.event_codes[{raw!r}]: {canonical!r}; expected one of "
                    f"{CANONICAL_EVENTS}"
                )
        for event in self.competing:
            if event not in ("death_in_remission", "second_malignancy"):
                raise RelapseConfigError(
                    f"relapse.competing: {event!r}; expected death_in_remission and/or "
                    "second_malignancy"
                )
        if self.subtype_source not in SUBTYPE_SOURCES:
            raise RelapseConfigError(
                f"relapse.subtype_source: {self.subtype_source!r}; expected one of "
                f"{SUBTYPE_SOURCES}"
            )
        if self.subtype_reference not in SUBTYPE_RISK_GROUPS:
            raise RelapseConfigError(
                f"relapse.subtype_reference: {self.subtype_reference!r}; expected one of "
                f"{SUBTYPE_RISK_GROUPS}"
            )
        for subtype, group in self.subtype_risk_overrides.items():
            if normalise_subtype(subtype) not in SUBTYPES:
                raise RelapseConfigError(
                    f"relapse.subtype_risk_overrides: {subtype!r} is not a subtype the project "
                    f"knows; expected one of {', '.join(SUBTYPES)}"
                )
            if group not in SUBTYPE_RISK_GROUPS:
                raise RelapseConfigError(
                    f"relapse.subtype_risk_overrides[{subtype!r}]: {group!r}; expected one of "
                    f"{SUBTYPE_RISK_GROUPS}"
                )
        names = [c.name for c in self.covariates]
        if len(set(names)) != len(names):
            raise RelapseConfigError(f"relapse.covariates: duplicate names in {names}")
        for covariate in self.covariates:
            covariate.check()
        if not 0 < self.confidence < 1:
            raise RelapseConfigError(f"relapse.confidence: {self.confidence}; expected in (0, 1)")
        if (self.os_time_column is None) != (self.os_status_column is None):
            raise RelapseConfigError(
                "relapse.os_time_column and relapse.os_status_column: give both or neither"
            )

    def effective(self) -> dict:
        """The settings as plain data (for provenance)."""
        out = {}
        for key in self.__dataclass_fields__:
            value = getattr(self, key)
            if key == "covariates":
                value = [dict(vars(c)) for c in value]
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out
