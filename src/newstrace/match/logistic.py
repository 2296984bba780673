"""A logistic model over named features, stored as JSON in newstrace/data: the post-to-article
linker and the article-pair story model are both one of these, fitted by the tools/ scripts."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


@dataclass
class LogisticModel:
    """Weights over named features, a decision threshold, and a Platt calibration of the best
    of several probabilities (identity unless fitted)."""

    features: list[str]
    coef: list[float]
    intercept: float
    threshold: float
    calibration: tuple[float, float] = (1.0, 0.0)

    def probability(self, values: dict[str, float]) -> float:
        return _sigmoid(self.intercept + sum(w * values.get(name, 0.0)
                                             for name, w in zip(self.features, self.coef)))

    def calibrated(self, probability: float) -> float:
        """The chance that the best of a post's candidates is right, from its pair probability."""
        p = min(max(probability, 1e-6), 1 - 1e-6)
        slope, intercept = self.calibration
        return _sigmoid(slope * math.log(p / (1 - p)) + intercept)

    @classmethod
    def load(cls, name: str, path: str | Path | None = None) -> LogisticModel:
        """The shipped model called `name`, or one written elsewhere (ablations)."""
        if path:
            text = Path(path).read_text(encoding="utf-8")
        else:
            text = resources.files("newstrace.data").joinpath(name).read_text(encoding="utf-8")
        return cls(**json.loads(text))
