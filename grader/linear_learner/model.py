"""A trained linear-learner model: its parameters, its predictions, and its artifact file.

The artifact is ``model.tar.gz`` holding ``model_algo-1``, as the real algorithm writes; inside
it is JSON (the real one is an MXNet parameter file), documented in docs/emulator.md.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zlib
from dataclasses import asdict, dataclass

import numpy as np

ARTIFACT_MEMBER = "model_algo-1"
MAX_ARTIFACT_BYTES = 16 * 2**20   # model.tar.gz as stored (this emulator's are a few hundred bytes)
MAX_UNPACKED_BYTES = 64 * 2**20   # the tar inside it, read no further: a small gzip can expand a thousandfold


def sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def softmax(x):
    shifted = np.exp(x - x.max(-1, keepdims=True))
    return shifted / shifted.sum(-1, keepdims=True)


@dataclass
class LinearModel:
    predictor_type: str
    loss: str
    feature_dim: int
    weights: list  # feature_dim x outputs
    bias: list  # outputs
    threshold: float = 0.5
    num_classes: int | None = None

    def raw_scores(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(features, float) @ np.asarray(self.weights) + np.asarray(self.bias)

    def binary_scores(self, features) -> np.ndarray:
        raw = self.raw_scores(features)[:, 0]
        return sigmoid(raw) if self.loss == "logistic" else raw

    def probabilities(self, features) -> np.ndarray:
        return sigmoid(self.raw_scores(features)[:, 0])

    def predict(self, features) -> list[dict]:
        """Linear-learner's per-record response: score, and predicted_label for classifiers."""
        features = np.asarray(features, float)
        if self.predictor_type == "regressor":
            return [{"score": float(s)} for s in self.raw_scores(features)[:, 0]]
        if self.predictor_type == "binary_classifier":
            scores = self.binary_scores(features)
            return [{"score": float(s), "predicted_label": int(s >= self.threshold)} for s in scores]
        raw = self.raw_scores(features)
        probs = softmax(raw) if self.loss == "softmax_loss" else sigmoid(raw)
        probs = probs / probs.sum(-1, keepdims=True)
        return [{"score": [float(p) for p in row], "predicted_label": int(np.argmax(row))} for row in probs]

    def to_artifact(self) -> bytes:
        payload = json.dumps({"format": "grader-linear-learner/1", **asdict(self)}).encode()
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            info = tarfile.TarInfo(ARTIFACT_MEMBER)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
        return buffer.getvalue()

    @classmethod
    def from_artifact(cls, data: bytes) -> LinearModel:
        """Raises ValueError when the bytes are not a model this emulator wrote; never reads more
        than MAX_ARTIFACT_BYTES stored or MAX_UNPACKED_BYTES unpacked."""
        if len(data) > MAX_ARTIFACT_BYTES:
            raise ValueError(f"not a linear-learner model artifact ({len(data):,} bytes; at most "
                             f"{MAX_ARTIFACT_BYTES:,} are read)")
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unzipped:
                tar_bytes = unzipped.read(MAX_UNPACKED_BYTES + 1)
            if len(tar_bytes) > MAX_UNPACKED_BYTES:
                raise ValueError(f"it unpacks to more than {MAX_UNPACKED_BYTES:,} bytes")
            with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as tar:
                fields = json.loads(tar.extractfile(ARTIFACT_MEMBER).read())
            fields.pop("format", None)
            model = cls(**fields)
            model.check_shape()
        except (tarfile.TarError, KeyError, AttributeError, TypeError, ValueError, RecursionError, OSError,
                EOFError, zlib.error) as error:
            raise ValueError(f"not a linear-learner model artifact ({error})") from None
        return model

    @property
    def outputs(self) -> int:
        """Scores per record: one for a regressor or binary classifier, one per class otherwise."""
        return self.num_classes if self.predictor_type == "multiclass_classifier" else 1

    def check_shape(self) -> None:
        """ValueError unless the weights are feature_dim x outputs and the bias has one value per output:
        a model the trainer wrote, not one whose size a client chose (every prediction pays for it)."""
        weights, bias = np.asarray(self.weights, float), np.asarray(self.bias, float)
        if weights.shape != (self.feature_dim, self.outputs) or bias.shape != (self.outputs,):
            raise ValueError(f"a {self.predictor_type} with {self.feature_dim} features has "
                             f"{self.feature_dim}x{self.outputs} weights and {self.outputs} bias value(s), "
                             f"not {'x'.join(map(str, weights.shape))} and {bias.size}")
