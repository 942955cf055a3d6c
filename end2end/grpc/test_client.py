"""The gRPC API as a foreign client sees it: Python's grpcio with stubs that
protoc generated from proto/ (scripts/grpc-python.sh makes them and starts the
server). Standard library and grpc packages only.

Env: TC_GRPC_TARGET (host:port, required); the generated stubs on PYTHONPATH.
Every call carries its own deadline, so a server that never answers fails the
test instead of hanging it.
"""

import collections
import json
import os
import sys
import unittest
import uuid

import grpc
from google.protobuf import descriptor_pool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from grpc_status import rpc_status

from test_coordinator.v1 import (
    execution_pb2,
    execution_pb2_grpc,
    management_pb2,
    management_pb2_grpc,
    types_pb2,
)

TARGET = os.environ.get("TC_GRPC_TARGET", "")

# Seconds. A unary call answers in milliseconds; a watch of the short run below
# takes about half a second of wall time.
CALL = 10
WATCH = 60

EXECUTION = "test_coordinator.v1.ScenarioExecutionService"
MANAGEMENT = "test_coordinator.v1.ScenarioManagementService"

# A short library scenario: 30 minutes of scenario time in three phases, half a
# second at x3600. Called by its file name, as REST does.
SHORT = "basic-market-disruption"
FAST = 3600.0

# The spec's duration on line 6, column 13, is not a duration.
BROKEN = """apiVersion: chaos.trading/v1
kind: Scenario
metadata:
  name: "grpc-python-broken"
spec:
  duration: "ten minutes"
  phases:
    - name: "only"
      duration: "1m"
"""
BROKEN_LINE, BROKEN_COLUMN = 6, 13

S = types_pb2.ExecutionState
ENDED = {
    S.EXECUTION_STATE_COMPLETED,
    S.EXECUTION_STATE_FAILED,
    S.EXECUTION_STATE_STOPPED,
    S.EXECUTION_STATE_TIMED_OUT,
    S.EXECUTION_STATE_INTERRUPTED,
}


def state(value):
    return S.Name(value)


class _Details(
    collections.namedtuple(
        "_Details", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
    ),
    grpc.ClientCallDetails,
):
    pass


class _DefaultDeadline(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                       grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """A deadline for the calls this file does not make itself (the reflection
    descriptor database's): every call on the channel gets one."""

    def _details(self, details):
        if details.timeout is not None:
            return details
        return _Details(details.method, CALL, details.metadata, details.credentials,
                        getattr(details, "wait_for_ready", None), getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, requests):
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation, details, requests):
        return continuation(self._details(details), requests)


def trailer(error, key):
    """One value of an RPC error's trailing metadata, or None."""
    for name, value in error.trailing_metadata() or ():
        if name == key:
            return value
    return None


class GrpcClient(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not TARGET:
            raise RuntimeError("TC_GRPC_TARGET (host:port) is not set")
        cls.raw_channel = grpc.insecure_channel(TARGET)
        # Fail fast with a clear message when nothing speaks HTTP/2 there.
        try:
            grpc.channel_ready_future(cls.raw_channel).result(timeout=CALL)
        except grpc.FutureTimeoutError:
            cls.raw_channel.close()
            raise RuntimeError(f"no gRPC (h2c) connection to {TARGET} within {CALL} s") from None
        cls.channel = grpc.intercept_channel(cls.raw_channel, _DefaultDeadline())
        cls.execution = execution_pb2_grpc.ScenarioExecutionServiceStub(cls.channel)
        cls.management = management_pb2_grpc.ScenarioManagementServiceStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.raw_channel.close()

    def watch(self, execution_id, since_seq=None):
        """Every event of a watch, until the stream ends by itself."""
        request = execution_pb2.WatchRequest(execution_id=execution_id)
        if since_seq is not None:
            request.since_seq = since_seq
        try:
            return list(self.execution.WatchExecution(request, timeout=WATCH))
        except grpc.RpcError as error:
            self.fail(f"WatchExecution({execution_id}) failed: {error.code()} {error.details()!r}"
                      " (DEADLINE_EXCEEDED means the stream did not end after execution_finished)")

    # ---- ScenarioManagementService ----

    def test_list_scenarios_includes_the_library(self):
        answer = self.management.ListScenarios(management_pb2.ListScenariosRequest(), timeout=CALL)
        by_name = {entry.name: entry for entry in answer.scenarios}
        self.assertIn(SHORT, by_name, f"library scenarios missing; got {sorted(by_name)}")
        entry = by_name[SHORT]
        self.assertEqual(entry.source, management_pb2.SCENARIO_SOURCE_LIBRARY)
        self.assertEqual(entry.kind, "Scenario")
        self.assertFalse(entry.HasField("version"), "a library file has no uploaded version")

        # The optional filters are sent only when set; a tag narrows the list.
        tagged = self.management.ListScenarios(management_pb2.ListScenariosRequest(tag="proxy"),
                                               timeout=CALL)
        names = [entry.name for entry in tagged.scenarios]
        self.assertIn("proxy-latency", names)
        self.assertNotIn(SHORT, names)
        for entry in tagged.scenarios:
            self.assertIn("proxy", entry.tags, entry.name)

    def test_validate_broken_scenario_is_an_answer(self):
        answer = self.management.ValidateScenario(
            management_pb2.ValidateScenarioRequest(yaml=BROKEN), timeout=CALL)
        self.assertFalse(answer.valid)
        self.assertTrue(answer.diagnostics, "valid=false without a diagnostic")
        located = [d for d in answer.diagnostics if d.HasField("line") and d.HasField("column")]
        self.assertTrue(located, f"no diagnostic with line and column: {answer.diagnostics}")
        self.assertIn((BROKEN_LINE, BROKEN_COLUMN), [(d.line, d.column) for d in located])
        for d in answer.diagnostics:
            self.assertTrue(d.kind and d.message, d)
            self.assertEqual(d.severity, types_pb2.SEVERITY_ERROR, d)

    def test_execute_broken_scenario_is_invalid_argument_with_diagnostics(self):
        request = execution_pb2.ExecuteScenarioRequest(yaml=BROKEN)
        with self.assertRaises(grpc.RpcError) as caught:
            self.execution.ExecuteScenario(request, timeout=CALL)
        error = caught.exception
        self.assertEqual(error.code(), grpc.StatusCode.INVALID_ARGUMENT, error.details())
        self.assertEqual(trailer(error, "tc-error-kind"), "validation")

        # google.rpc.Status from grpc-status-details-bin; from_call also checks
        # that its code and message are the call's own.
        status = rpc_status.from_call(error)
        self.assertIsNotNone(status, "no grpc-status-details-bin trailer")
        self.assertEqual(status.code, grpc.StatusCode.INVALID_ARGUMENT.value[0])
        packed = [any_ for any_ in status.details
                  if any_.type_url == "type.googleapis.com/test_coordinator.v1.Diagnostics"]
        self.assertEqual(len(packed), 1, [any_.type_url for any_ in status.details])
        self.assertTrue(packed[0].Is(types_pb2.Diagnostics.DESCRIPTOR))
        diagnostics = types_pb2.Diagnostics()
        self.assertTrue(packed[0].Unpack(diagnostics))
        self.assertTrue(diagnostics.diagnostics)
        self.assertIn((BROKEN_LINE, BROKEN_COLUMN),
                      [(d.line, d.column) for d in diagnostics.diagnostics
                       if d.HasField("line") and d.HasField("column")])

        # The same findings as ValidateScenario's.
        validated = self.management.ValidateScenario(
            management_pb2.ValidateScenarioRequest(yaml=BROKEN), timeout=CALL)
        self.assertEqual(
            sorted((d.kind, d.path, d.line, d.column) for d in diagnostics.diagnostics),
            sorted((d.kind, d.path, d.line, d.column) for d in validated.diagnostics))

    def test_create_broken_scenario_is_invalid_argument(self):
        with self.assertRaises(grpc.RpcError) as caught:
            self.management.CreateScenario(management_pb2.CreateScenarioRequest(yaml=BROKEN),
                                           timeout=CALL)
        error = caught.exception
        self.assertEqual(error.code(), grpc.StatusCode.INVALID_ARGUMENT, error.details())
        status = rpc_status.from_call(error)
        self.assertIsNotNone(status, "no grpc-status-details-bin trailer")
        diagnostics = types_pb2.Diagnostics()
        self.assertTrue(any(any_.Unpack(diagnostics) for any_ in status.details),
                        [any_.type_url for any_ in status.details])
        self.assertTrue(any(d.HasField("line") and d.HasField("column")
                            for d in diagnostics.diagnostics), diagnostics)

    # ---- ScenarioExecutionService ----

    def test_execute_watch_status_results(self):
        started = self.execution.ExecuteScenario(
            execution_pb2.ExecuteScenarioRequest(
                scenario=SHORT, options=types_pb2.ExecuteOptions(speed=FAST)),
            timeout=CALL)
        execution_id = started.execution_id
        self.assertEqual(str(uuid.UUID(execution_id)), execution_id)
        self.assertEqual(started.scenario, SHORT)
        self.assertIn(started.status, {S.EXECUTION_STATE_QUEUED, S.EXECUTION_STATE_RUNNING},
                      state(started.status))

        # From the start: the stored events, then the live ones, then the end.
        events = self.watch(execution_id)
        self.assertTrue(events, "the watch ended without an event")
        kinds = [event.kind for event in events]
        self.assertEqual([event.seq for event in events], list(range(len(events))),
                         f"seqs not 0, 1, 2, … without gaps: {[e.seq for e in events]}")
        self.assertEqual(kinds[0], "execution_queued", kinds)
        self.assertEqual(kinds[-1], "execution_finished", kinds)
        self.assertEqual(kinds.count("execution_finished"), 1, kinds)
        self.assertIn("execution_started", kinds)
        self.assertIn("phase_started", kinds)
        for event in events:
            self.assertEqual(event.execution_id, execution_id)
            self.assertEqual(event.WhichOneof("detail"), event.kind,
                             f"seq {event.seq}: kind {event.kind!r} but detail "
                             f"{event.WhichOneof('detail')!r}")
            self.assertTrue(event.HasField("at"), f"seq {event.seq} has no time")
        self.assertEqual(events[0].execution_queued.scenario, SHORT)
        started_event = events[kinds.index("execution_started")].execution_started
        self.assertEqual(started_event.speed, FAST)
        finished = events[-1].execution_finished
        self.assertIn(finished.status, ENDED, state(finished.status))

        # A replay after a seq starts right after it.
        if len(events) > 3:
            tail = self.watch(execution_id, since_seq=2)
            self.assertEqual([event.seq for event in tail], [event.seq for event in events[3:]])

        status = self.execution.GetExecutionStatus(
            execution_pb2.ExecutionStatusRequest(execution_id=execution_id), timeout=CALL)
        self.assertEqual(status.id, execution_id)
        self.assertEqual(status.scenario_name, SHORT)
        self.assertIn(status.status, ENDED, state(status.status))
        self.assertEqual(status.status, finished.status,
                         f"status {state(status.status)}, event {state(finished.status)}")
        self.assertEqual(status.channel, "api")
        self.assertEqual(status.options.speed, FAST)
        self.assertTrue(status.HasField("finished_at"))
        self.assertTrue(status.phases, "no planned phases")

        results = self.management.GetScenarioResults(
            management_pb2.ResultsRequest(execution_id=execution_id), timeout=CALL)
        self.assertEqual(results.execution_id, execution_id)
        self.assertEqual(results.scenario, SHORT)
        self.assertEqual(results.status, status.status)
        report = json.loads(results.report_json)
        self.assertIsInstance(report, dict)
        self.assertEqual(report["execution"]["id"], execution_id)
        self.assertEqual(report["execution"]["passed"], results.passed)

        # Ended: no longer active.
        active = self.execution.ListActiveExecutions(execution_pb2.ListExecutionsRequest(),
                                                     timeout=CALL)
        self.assertNotIn(execution_id, [summary.id for summary in active.executions])

    def test_stop_a_running_execution(self):
        # At x1 this run takes 30 minutes: it is still going when stopped.
        started = self.execution.ExecuteScenario(
            execution_pb2.ExecuteScenarioRequest(
                scenario=SHORT, options=types_pb2.ExecuteOptions(speed=1)),
            timeout=CALL)
        execution_id = started.execution_id
        active = self.execution.ListActiveExecutions(execution_pb2.ListExecutionsRequest(),
                                                     timeout=CALL)
        self.assertIn(execution_id, [summary.id for summary in active.executions])

        stopped = self.execution.StopExecution(
            execution_pb2.StopExecutionRequest(execution_id=execution_id), timeout=CALL)
        self.assertEqual(stopped.execution.id, execution_id)
        self.assertEqual(stopped.execution.status, S.EXECUTION_STATE_STOPPED,
                         state(stopped.execution.status))

        events = self.watch(execution_id)
        self.assertEqual(events[-1].kind, "execution_finished", [e.kind for e in events])
        self.assertEqual(events[-1].execution_finished.status, S.EXECUTION_STATE_STOPPED)

    def test_unknown_execution_is_not_found(self):
        unknown = str(uuid.uuid4())
        with self.assertRaises(grpc.RpcError) as caught:
            self.execution.GetExecutionStatus(
                execution_pb2.ExecutionStatusRequest(execution_id=unknown), timeout=CALL)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.NOT_FOUND,
                         caught.exception.details())
        self.assertEqual(trailer(caught.exception, "tc-error-kind"), "not_found")

        with self.assertRaises(grpc.RpcError) as caught:
            self.management.GetScenarioResults(
                management_pb2.ResultsRequest(execution_id=unknown), timeout=CALL)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.NOT_FOUND,
                         caught.exception.details())

    # ---- grpc.health.v1 and server reflection ----

    def test_health(self):
        health = health_pb2_grpc.HealthStub(self.channel)
        for service in ("", EXECUTION, MANAGEMENT):
            answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=CALL)
            self.assertEqual(answer.status, health_pb2.HealthCheckResponse.SERVING, repr(service))
        with self.assertRaises(grpc.RpcError) as caught:
            health.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=CALL)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_reflection_v1alpha(self):
        database = ProtoReflectionDescriptorDatabase(self.channel)
        services = set(database.get_services())
        self.assertIn(EXECUTION, services)
        self.assertIn(MANAGEMENT, services)
        # The served descriptors resolve, imports and all, into the same API.
        pool = descriptor_pool.DescriptorPool(database)
        watch = pool.FindServiceByName(EXECUTION).FindMethodByName("WatchExecution")
        self.assertEqual(watch.output_type.full_name, "test_coordinator.v1.ExecutionEvent")
        self.assertTrue(watch.server_streaming)
        results = pool.FindServiceByName(MANAGEMENT).FindMethodByName("GetScenarioResults")
        self.assertEqual(results.output_type.full_name, "test_coordinator.v1.ScenarioResults")

    def test_reflection_v1(self):
        # grpcio-reflection ships only v1alpha stubs; v1's messages are the
        # same on the wire, only the service's name differs.
        info = self.channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        answers = list(info(iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
                            timeout=CALL))
        self.assertEqual(len(answers), 1)
        names = {service.name for service in answers[0].list_services_response.service}
        self.assertIn(EXECUTION, names)
        self.assertIn(MANAGEMENT, names)


class _Counting(unittest.TextTestResult):
    """Counts the tests that passed, for the closing line."""

    passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


if __name__ == "__main__":
    runner = unittest.TextTestRunner(resultclass=_Counting, verbosity=2 if "-v" in sys.argv else 1)
    result = unittest.main(testRunner=runner, exit=False).result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    # The plain closing line (one word and a colon, then the counts).
    print(f"grpc-python: {result.passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and result.passed > 0 else 1)
