import numpy as np
import pytest

from grader.linear_learner import hyperparameters
from grader.linear_learner.algorithm import Dataset, best_threshold, train
from grader.linear_learner.metrics import evaluate
from grader.linear_learner.model import LinearModel


def hp(**values):
    return hyperparameters.parse({k: str(v) for k, v in values.items()})


def test_defaults_and_auto_loss():
    parsed = hp(predictor_type="regressor")
    assert parsed["epochs"] == 15 and parsed["mini_batch_size"] == 1000 and parsed["loss"] == "squared_loss"
    assert hp(predictor_type="binary_classifier")["loss"] == "logistic"


@pytest.mark.parametrize("raw,message", [
    ({}, "Missing required hyperparameter: predictor_type"),
    ({"predictor_type": "classifier"}, "allowed values: binary_classifier"),
    ({"predictor_type": "regressor", "epochs": "0"}, "epochs='0' must be a positive integer"),
    ({"predictor_type": "regressor", "epochs": "ten"}, "must be an integer"),
    ({"predictor_type": "regressor", "loss": "logistic"}, "cannot be used with predictor_type='regressor'"),
    ({"predictor_type": "regressor", "learning_rat": "0.1"}, "'learning_rat'"),
    ({"predictor_type": "multiclass_classifier"}, "num_classes"),
    ({"predictor_type": "regressor", "normalize_data": "yes"}, "true or false"),
])
def test_invalid_hyperparameters_fail_like_the_algorithm(raw, message):
    with pytest.raises(hyperparameters.HyperparameterError, match=message):
        hyperparameters.parse(raw)


def test_normalise_compares_numbers_and_booleans_by_value():
    assert hyperparameters.normalise({"epochs": "10.0", "use_bias": "True", "loss": "auto"}) == \
        hyperparameters.normalise({"epochs": "10", "use_bias": "true", "loss": "auto"})


def test_regressor_recovers_a_linear_relation_in_original_units():
    rng = np.random.default_rng(0)
    x = rng.normal(50, 10, size=(2000, 2))
    y = 3 * x[:, 0] - 2 * x[:, 1] + 7 + rng.normal(0, 0.5, 2000)
    outcome = train(hp(predictor_type="regressor", mini_batch_size=100, epochs=10), Dataset(x, y))
    predictions = np.array([p["score"] for p in outcome.model.predict(x)])
    assert np.sqrt(np.mean((predictions - y) ** 2)) < 1.0
    np.testing.assert_allclose(np.asarray(outcome.model.weights)[:, 0], [3, -2], atol=0.1)


def test_binary_classifier_separates_classes_and_tunes_its_threshold():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1500, 3))
    y = (x @ [1.5, -1.0, 0.5] + rng.normal(0, 0.3, 1500) > 0.8).astype(float)
    parameters = hp(predictor_type="binary_classifier", mini_batch_size=100, epochs=10)
    outcome = train(parameters, Dataset(x, y))
    metrics = evaluate(outcome.model, parameters, x, y)
    assert metrics["binary_classification_accuracy"] > 0.9
    assert 0.0 < outcome.model.threshold < 1.0
    assert {p["predicted_label"] for p in outcome.model.predict(x)} == {0, 1}


def test_threshold_search_maximises_accuracy():
    scores = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.8])
    labels = np.array([0, 0, 0, 1, 1, 1])
    threshold, accuracy = best_threshold(scores, labels, hp(predictor_type="binary_classifier"))
    assert accuracy == 1.0 and 0.3 < threshold <= 0.6


def test_multiclass_classifier_with_softmax():
    rng = np.random.default_rng(2)
    centres = np.array([[0, 0], [5, 5], [0, 5]])
    labels = rng.integers(0, 3, 900)
    x = centres[labels] + rng.normal(0, 0.7, (900, 2))
    parameters = hp(predictor_type="multiclass_classifier", num_classes=3, mini_batch_size=100, epochs=10)
    outcome = train(parameters, Dataset(x, labels.astype(float)))
    assert evaluate(outcome.model, parameters, x, labels)["multiclass_accuracy"] > 0.9


def test_validation_channel_drives_early_stopping():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3000, 1))
    y = 2 * x[:, 0] + rng.normal(0, 0.1, 3000)
    lines = []
    outcome = train(hp(predictor_type="regressor", epochs=50, mini_batch_size=100),
                    Dataset(x[:2000], y[:2000]), Dataset(x[2000:], y[2000:]), log=lines.append)
    assert outcome.epochs_run < 50 and any("Early stop" in line for line in lines)


@pytest.mark.parametrize("loss", ["absolute_loss", "huber_loss", "quantile_loss",
                                  "eps_insensitive_squared_loss", "eps_insensitive_absolute_loss"])
def test_every_regression_loss_trains(loss):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(800, 1))
    y = 4 * x[:, 0] + 1
    outcome = train(hp(predictor_type="regressor", loss=loss, mini_batch_size=50, epochs=15), Dataset(x, y))
    predictions = np.array([p["score"] for p in outcome.model.predict(x)])
    assert np.corrcoef(predictions, y)[0, 1] > 0.99


def test_model_artifact_round_trip_and_garbage():
    model = LinearModel("binary_classifier", "logistic", 2, [[1.0], [-1.0]], [0.5], threshold=0.4)
    assert LinearModel.from_artifact(model.to_artifact()) == model
    with pytest.raises(ValueError, match="not a linear-learner model artifact"):
        LinearModel.from_artifact(b"not a tarball")
