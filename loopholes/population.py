"""Real AI models, from Epoch AI's "Data on AI Models" (CC BY 4.0; see data/EPOCH_DATA.md).

Backtests ask which real models a rule would have covered; dynamic rules need the recent
models of a reference class to set their line; the search needs the largest model that
existed at a date to bound how capable a teacher can be. This module serves all three
from the vendored CSV. It uses the standard library only, because it sits on the path
of `loopholes check`: importing it and loading the data take well under 0.1 s.

Compute comes in two kinds and is never mixed silently: Epoch's numeric estimate
(``training_flop``) and, for a dozen closed models, a benchmark-based estimate Epoch
wrote only in its notes (``imputed_flop``). Models with neither stay in the population
as "unknown"; a backtest must report them, not drop them.
"""

from __future__ import annotations

import bisect
import csv
import datetime
import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from loopholes.errors import PolicyError

MEMBER_OPTION = "population_record"
"""The reading option that marks a real model judged as a member of the population (a
backtest): population-based rules then do not count it twice."""

DATA_FILE = "epoch_models.csv"

#: Epoch domain -> reference class of a dynamic (percentile) rule. A model with several
#: domains takes the first of its classes in CLASS_ORDER. A policy may pass its own
#: grouping to ``reference_class`` or ``Population.regroup``. Domains missing here
#: (and models with no domain) fall in "other".
REFERENCE_CLASSES: dict[str, str] = {
    "Biology": "biology",
    "Language": "language",
    "Multimodal": "language",
    "Mathematics": "language",
    "Search": "language",
    "Vision": "vision",
    "Image generation": "vision",
    "Video": "vision",
    "3D modeling": "vision",
    "Speech": "speech",
    "Audio": "speech",
    "Robotics": "other",
    "Games": "other",
    "Medicine": "other",
    "Recommendation": "other",
    "Materials science": "other",
    "Earth science": "other",
    "Driving": "other",
    "Psychology": "other",
    "Astronomy": "other",
    "Cybersecurity": "other",
    "Other": "other",
}

#: Precedence among classes. Biology comes first because rules single it out (EO 14110
#: §4.2(b)(i)): a model Epoch tags Biology, even alongside Language (Galactica, TxGemma),
#: is compared with biology models. Language beats vision so that vision-language
#: models sit with language models.
CLASS_ORDER: tuple[str, ...] = ("biology", "language", "vision", "speech", "other")

#: Epoch task labels (compared case-insensitively) that mark a model trained on
#: biological sequences: protein/nucleotide language models and sequence generators.
BIO_SEQUENCE_TASKS = frozenset(
    label.casefold()
    for label in (
        "Protein or nucleotide language model (pLM/nLM)",
        "Proteins",
        "Protein generation",
        "Protein design",
        "Protein inverse folding",
        "Protein representation learning",
        "Protein embedding",
        "Nucleotide generation",
        "RNA sequence generation",
        "RNA design",
        "Codon design",
        "Codon optimization",
        "Plasmid Design",
    )
)

# A release tag at the end of a name marks a dated version of one product:
# "GPT-4o (Aug 2024)", "GLM-4 (0520)", "Foo (2024-08-06)", "Bailing-Pro-20250225".
# Bare 4-digit hyphen suffixes are not tags: "ResNet-1001" is a depth, "DLRM-2021" a model.
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_RELEASE_TAG = re.compile(
    rf"\s*(?:\((?:{_MONTH} \d{{4}}|\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})\)|-\d{{8}}|-\d{{4}}-\d{{2}}-\d{{2}})$",
    re.IGNORECASE,
)


def is_biological_sequence(task: str) -> bool:
    """True if any of Epoch's comma-separated task labels is in BIO_SEQUENCE_TASKS.

    Judged from the label alone, since the data gives no training-data shares. So
    structure predictors (AlphaFold: "Protein folding prediction") and protein chat
    models ("Protein question answering": ProtChatGPT, ProLLaMA) are not counted, while
    text-LLM fine-tunes that Epoch labels pLM/nLM or protein generation (TxGemma,
    P-LLama3) are, although most of their compute went into text pretraining.
    """
    return any(part.strip().casefold() in BIO_SEQUENCE_TASKS for part in task.split(","))


def reference_class(
    domains: Iterable[str],
    task: str = "",
    *,
    classes: Mapping[str, str] = REFERENCE_CLASSES,
    order: Sequence[str] = CLASS_ORDER,
) -> str:
    """The reference class of a model: its domains mapped through ``classes``, plus
    "biology" for a biological-sequence task, reduced to the first class in ``order``
    (classes not in ``order`` rank after it, alphabetically). No domain -> "other"."""
    found = {classes.get(d, "other") for d in domains}
    if is_biological_sequence(task):
        found.add("biology")
    if not found:
        return "other"
    rank = {c: i for i, c in enumerate(order)}
    return min(found, key=lambda c: (rank.get(c, len(rank)), c))


def product_name(model: str) -> str:
    """The model name without a trailing release tag, case-folded: the product it versions."""
    return _RELEASE_TAG.sub("", " ".join(model.split())).casefold()


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """One model (or one product with its dated versions collapsed), as Epoch lists it."""

    model: str
    organization: str
    published: datetime.date | None
    domains: tuple[str, ...]
    task: str
    parameters: float | None
    training_flop: float | None
    imputed_flop: float | None
    confidence: str
    open_weights: bool | None
    biological_sequence: bool
    reference_class: str
    versions: tuple[str, ...] = ()
    possibly_over_1e23: bool = False  # Epoch's flag, often set where no estimate exists
    cost_usd: float | None = None
    """Epoch's estimate of the training compute's cost, in 2023 US dollars."""

    @property
    def year(self) -> int | None:
        return self.published.year if self.published else None

    def flop(self, *, include_imputed: bool = False) -> float | None:
        """Training compute: Epoch's numeric estimate, else (if asked) the benchmark-imputed one."""
        if self.training_flop is not None or not include_imputed:
            return self.training_flop
        return self.imputed_flop


class Population:
    """An immutable set of model records with the date queries rules and searches need.

    Date and window queries ignore records without a publication date; compute queries
    ignore records without compute. Window results are cached per argument tuple,
    because a search asks for the same few windows thousands of times.
    """

    __slots__ = ("records", "_series", "_trailing")

    def __init__(self, records: Iterable[ModelRecord]):
        self.records: tuple[ModelRecord, ...] = tuple(records)
        self._series: dict[tuple[str | None, bool], tuple[list[int], list[float], list[float]]] = {}
        self._trailing: dict[tuple, tuple[float, ...]] = {}

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self):
        return iter(self.records)

    def __repr__(self) -> str:
        return f"Population({len(self.records)} records)"

    def known(self, *, include_imputed: bool = False) -> tuple[ModelRecord, ...]:
        """Records with a compute figure."""
        return tuple(r for r in self.records if r.flop(include_imputed=include_imputed) is not None)

    def unknown(self, *, include_imputed: bool = False) -> tuple[ModelRecord, ...]:
        """Records without one: the complement of ``known`` for the same setting."""
        return tuple(r for r in self.records if r.flop(include_imputed=include_imputed) is None)

    def released_between(self, start: datetime.date, end: datetime.date) -> tuple[ModelRecord, ...]:
        """Records published in (start, end]."""
        return tuple(r for r in self.records if r.published is not None and start < r.published <= end)

    def by_year(self) -> dict[int, tuple[ModelRecord, ...]]:
        """Dated records grouped by publication year, years ascending."""
        groups: dict[int, list[ModelRecord]] = {}
        for r in self.records:
            if r.published is not None:
                groups.setdefault(r.published.year, []).append(r)
        return {year: tuple(groups[year]) for year in sorted(groups)}

    def classes(self) -> frozenset[str]:
        """The reference classes present."""
        return frozenset(r.reference_class for r in self.records)

    def regroup(self, classes: Mapping[str, str], order: Sequence[str] = CLASS_ORDER) -> Population:
        """The same records with reference classes recomputed from a policy's own grouping."""
        return Population(
            replace(r, reference_class=reference_class(r.domains, r.task, classes=classes, order=order))
            for r in self.records
        )

    def _dated(self, cls: str | None, include_imputed: bool) -> tuple[list[int], list[float], list[float]]:
        """Date ordinals, compute and running maximum of compute, sorted by date, for one class."""
        key = (cls, include_imputed)
        if key not in self._series:
            if cls is not None and cls not in self.classes():
                known = ", ".join(sorted(self.classes()))
                raise PolicyError(f"unknown reference class {cls!r}; the population has: {known}")
            pairs = sorted(
                (r.published.toordinal(), f)
                for r in self.records
                if r.published is not None
                and (cls is None or r.reference_class == cls)
                and (f := r.flop(include_imputed=include_imputed)) is not None
            )
            days = [d for d, _ in pairs]
            flops = [f for _, f in pairs]
            running = []
            top = 0.0
            for f in flops:
                top = max(top, f)
                running.append(top)
            self._series[key] = (days, flops, running)
        return self._series[key]

    def largest_flop_by(self, when: datetime.date, *, include_imputed: bool = False) -> float:
        """The largest known training compute of any model published on or before ``when``
        (0.0 if none): the most capable teacher anyone could have distilled from then."""
        days, _, running = self._dated(None, include_imputed)
        i = bisect.bisect_right(days, when.toordinal())
        return running[i - 1] if i else 0.0

    def trailing_flops(
        self,
        end: datetime.date,
        *,
        months: int = 12,
        reference_class: str | None = None,
        include_imputed: bool = False,
    ) -> tuple[float, ...]:
        """Known compute of the models (of one reference class, or all) published in
        (end - months, end], sorted ascending: the sample a percentile rule ranks against."""
        key = (end, months, reference_class, include_imputed)
        hit = self._trailing.get(key)
        if hit is not None:
            return hit
        if not isinstance(months, int) or months < 1:
            raise PolicyError(f"trailing window must be a whole number of months >= 1, not {months!r}")
        days, flops, _ = self._dated(reference_class, include_imputed)
        lo = bisect.bisect_right(days, months_before(end, months).toordinal())
        hi = bisect.bisect_right(days, end.toordinal())
        result = tuple(sorted(flops[lo:hi]))
        self._trailing[key] = result
        return result


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day of the month ``months`` earlier, clamped to the month's end (Mar 31 -> Feb 28/29)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    if month == 12:
        last = 31
    else:
        last = (datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last))


# --- loading ---------------------------------------------------------------------------


def _number(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _open_weights(flag: str, accessibility: str) -> bool | None:
    """Epoch's Yes/No flag; where blank, inferred from the accessibility category."""
    if flag in ("Yes", "No"):
        return flag == "Yes"
    return accessibility.startswith("Open weights") if accessibility else None


def _clean(row: dict[str, str]) -> dict[str, str]:
    """Strip every value; collapse the stray newlines and spaces inside names."""
    out = {k: v.strip() for k, v in row.items()}
    for k in ("model", "organization"):
        out[k] = " ".join(out[k].split())
    return out


def _version_key(row: dict[str, str]) -> tuple:
    """Rows with equal keys are versions of one product sharing one compute figure."""
    return (
        row["organization"],
        product_name(row["model"]),
        _number(row["training_compute_flop"]),
        _number(row["training_compute_flop_benchmark_imputed"]),
    )


def collapse_versions(rows: Sequence[dict[str, str]]) -> list[tuple[dict[str, str], tuple[str, ...]]]:
    """Merge dated versions of one product into one row.

    Rows collapse when they have the same organization, the same ``product_name`` (the
    name without a trailing release tag such as "(Mar 2025)" or "(0520)") and the same
    compute: equal numeric estimate and equal imputed estimate, where two blanks are
    equal. So GPT-4o's five versions (one imputed 3.8e25) become one model, and so do
    Gemini 2.5 Pro's three (no estimate), but a fine-tune under another name that
    repeats its base model's compute (Llama-3.1-Nemotron-70B-Instruct) stays separate:
    it is a different product a rule judges on its own. Exact duplicate rows collapse too.

    The merged row is the earliest-published version, with any blank field filled from
    the next versions in date order; the other names are returned as its versions.
    Groups come out in the order of their first row in the input.
    """
    groups: dict[tuple, list[tuple[int, dict[str, str]]]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(_version_key(row), []).append((i, row))
    merged = []
    for members in groups.values():
        if len(members) == 1:
            merged.append((members[0][1], ()))
            continue
        members.sort(key=lambda m: (m[1]["publication_date"] or "9999", m[0]))
        first = dict(members[0][1])
        for _, other in members[1:]:
            for k, v in other.items():
                if not first[k] and v:
                    first[k] = v
        merged.append((first, tuple(m[1]["model"] for m in members[1:])))
    return merged


@functools.lru_cache(maxsize=None)
def _classify(domain: str, task: str) -> tuple[tuple[str, ...], bool, str]:
    """Domains, biological-sequence flag and reference class; memoized, as few combinations recur."""
    domains = tuple(d.strip() for d in domain.split(",") if d.strip())
    return domains, is_biological_sequence(task), reference_class(domains, task)


def _record(row: dict[str, str], versions: tuple[str, ...]) -> ModelRecord:
    domains, biological, cls = _classify(row["domain"], row["task"])
    date = row["publication_date"]
    return ModelRecord(
        model=row["model"],
        organization=row["organization"],
        published=datetime.date.fromisoformat(date) if date else None,
        domains=domains,
        task=row["task"],
        parameters=_number(row["parameters"]),
        training_flop=_number(row["training_compute_flop"]),
        imputed_flop=_number(row["training_compute_flop_benchmark_imputed"]),
        confidence=row["confidence"],
        open_weights=_open_weights(row["open_model_weights"], row["model_accessibility"]),
        biological_sequence=biological,
        reference_class=cls,
        versions=versions,
        possibly_over_1e23=row["possibly_over_1e23_flop"] == "True",
        cost_usd=_number(row.get("training_compute_cost_2023_usd", "")),
    )


def read_rows() -> list[dict[str, str]]:
    """The vendored CSV's rows, values stripped, in file order (newest first)."""
    from importlib import resources  # deferred: only loading needs it, not importing

    source = resources.files("loopholes") / "data" / DATA_FILE
    with source.open("r", encoding="utf-8", newline="") as fh:
        return [_clean(row) for row in csv.DictReader(fh)]


@functools.cache
def load_population(*, collapse: bool = True) -> Population:
    """The Epoch population, read once. ``collapse=False`` keeps every version as its own
    row, which is how Epoch's (and the shared data README's) counts are made."""
    rows = read_rows()
    pairs = collapse_versions(rows) if collapse else [(row, ()) for row in rows]
    return Population(_record(row, versions) for row, versions in pairs)


def kth_largest_series(points: Iterable[tuple[datetime.date, float]], k: int) -> tuple[list[int], list[float]]:
    """A step function of release day: the k-th largest value among the points released on
    or before each day (the smallest of them while fewer than k exist). Days are ordinals,
    ascending; read it with `value_on`."""
    import heapq

    if k < 1:
        raise ValueError("k must be at least 1")
    heap: list[float] = []
    days: list[int] = []
    values: list[float] = []
    for day, value in sorted(points):
        if len(heap) < k:
            heapq.heappush(heap, value)
        elif value > heap[0]:
            heapq.heapreplace(heap, value)
        if days and days[-1] == day.toordinal():
            values[-1] = heap[0]
        else:
            days.append(day.toordinal())
            values.append(heap[0])
    return days, values


def value_on(days: list[int], values: list[float], day: datetime.date, before: float = math.inf) -> float:
    """The step function's value on `day` (`before` until its first day)."""
    i = bisect.bisect_right(days, day.toordinal()) - 1
    return values[i] if i >= 0 else before
