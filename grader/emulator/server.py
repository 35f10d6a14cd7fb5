"""The embedded emulator: moto's server behind our gateway, on 127.0.0.1, in a background thread."""

from __future__ import annotations

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.sagemaker.models import sagemaker_backends

from ..loopback_server import LoopbackServer
from . import corrections
from .accounts import Account, AccountRegistry
from .gateway import BOUND_ACCOUNT, Gateway
from .protocol import error
from .serving import ModelCache, create_endpoint, invoke_endpoint
from .training import MAX_ACTIVE_JOBS, TrainingService


class Emulator:
    """Start it, make an account per run, hand the run ``client_environment(account)``.

    >>> with Emulator() as emulator:
    ...     account = emulator.new_account()
    """

    def __init__(self, port: int = 0, training_workers: int = 2):
        self.accounts = AccountRegistry()
        self.training = TrainingService(training_workers)
        self.models = ModelCache()
        handlers = dict(corrections.HANDLERS)
        handlers[("sagemaker", "CreateTrainingJob")] = self._create_training_job
        handlers[("sagemaker", "CreateEndpoint")] = lambda exchange: create_endpoint(exchange, self.models)
        handlers[("sagemaker-runtime", "InvokeEndpoint")] = (
            lambda exchange: invoke_endpoint(exchange, self.models))
        self.app = Gateway(DomainDispatcherApplication(create_backend_app), self.accounts, handlers)
        # the API log is the record
        self._http = LoopbackServer(self.app, port, "emulator", MotoRequestHandler)

    @property
    def port(self) -> int:
        return self._http.port

    @property
    def url(self) -> str:
        return self._http.url

    def start(self) -> Emulator:
        self._http.start()
        return self

    def stop(self) -> None:
        """Stop serving; running training jobs end at their next mini-batch (never waited for)."""
        self._http.stop()
        self.training.shutdown()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def new_account(self, region: str = "us-west-2") -> Account:
        return self.accounts.create(region)

    def remove_account(self, account_id: str) -> None:
        self.training.end_account(account_id)
        self.accounts.remove(account_id)

    def sagemaker_regions(self, account: Account) -> set[str]:
        """The regions where the account has any SageMaker state: moto makes an account's backend for
        a region on the first request (or seeding) there, so elsewhere the account has nothing."""
        return set(dict.get(sagemaker_backends, account.account_id) or ())   # dict's get: creates none

    def app_for(self, account: Account):
        """The emulator as one account's private endpoint (served on a sandboxed run's own socket):
        every request through it is that account's, whatever credentials it carries."""
        def app(environ, start_response):
            environ[BOUND_ACCOUNT] = account.account_id
            return self.app(environ, start_response)
        return app

    @property
    def request_handler(self) -> type:
        return MotoRequestHandler

    def _create_training_job(self, exchange):
        if not self.training.has_room(exchange.account.account_id):
            return error(exchange.call, 400, "ResourceLimitExceeded",
                         f"The account-level service limit for training jobs is {MAX_ACTIVE_JOBS} at a time; "
                         "wait for a job to finish (estimator.fit() waits) before starting another.")
        response = exchange.forward()
        if response.ok:
            name = exchange.call.fields["TrainingJobName"]
            self.training.start(exchange.account, exchange.call.region, name)
            exchange.note(TrainingJobName=name)
        return response
