//! When each step is due on the execution's virtual clock: the waits between
//! phases, the control signals that move the timeline (pause, resume, skip)
//! or end it (stop, shutdown, the timeout), and a dry run's simulated timeline
//! where every step is recorded at its planned time.

use std::{future::Future, time::Duration};

use app::scenario::plan::PlannedPhase;
use serde_json::Value;

use super::{
    cancel::Cancel,
    clock::{millis, sleep_until, Schedule},
    event::{ControlCommand, EventDraft, EventKind, PhaseOutcome},
    phase::{cancel_reason, PhaseEnd},
    runner::Runner,
    verdict::Ending,
    Signal,
};

impl Runner {
    /// A dry run: every step recorded at its planned time, nothing called or
    /// waited for, from the phase at `first` (0 but for a resumed run).
    pub(super) fn simulate_phases(&mut self, first: usize) -> Ending {
        let plan = self.plan.clone();
        let at = |offset: Duration| Some(millis(offset));
        for (index, phase) in plan.phases.iter().enumerate().skip(first) {
            let emit = |planned: Duration, kind| {
                self.env.recorder.emit(EventDraft {
                    offset_ms: at(planned),
                    planned_ms: at(planned),
                    phase: Some(index),
                    kind,
                });
            };
            emit(
                phase.start_ms,
                EventKind::PhaseStarted {
                    name: phase.name.clone(),
                    duration_ms: millis(phase.end_ms - phase.start_ms),
                },
            );
            for (parallel, action) in phase
                .actions
                .iter()
                .map(|a| (false, a))
                .chain(phase.parallel_actions.iter().map(|a| (true, a)))
            {
                emit(
                    action.at_ms,
                    EventKind::ActionStarted {
                        service: action.service.clone(),
                        action: action.action.clone(),
                        parallel,
                        parameters: Value::Object(action.parameters.clone()),
                    },
                );
            }
            for (i, assertion) in phase.assertions.iter().enumerate() {
                emit(
                    assertion.start_ms,
                    EventKind::AssertionStarted {
                        index: i,
                        kind: assertion.assertion_type.clone(),
                        expect: assertion.expect.clone(),
                        deadline_ms: millis(assertion.deadline_ms),
                    },
                );
            }
            emit(
                phase.end_ms,
                EventKind::PhaseFinished {
                    name: phase.name.clone(),
                    outcome: PhaseOutcome::Passed,
                    reason: Some("dry run: nothing was called or checked".to_owned()),
                },
            );
            self.tally.phases_passed += 1;
        }
        Ending::Completed
    }

    /// Waits for `offset` between phases, serving control signals and the timeout.
    pub(super) async fn wait_until(&mut self, offset: Duration) -> Option<Ending> {
        let mut schedule = self.schedule.subscribe();
        loop {
            tokio::select! {
                () = sleep_until(&mut schedule, offset, self.env.precision) => return None,
                () = tokio::time::sleep_until(self.deadline) => return Some(Ending::TimedOut),
                signal = self.control.recv() => {
                    if let Some(ending) = self.handle_signal(signal) {
                        return Some(ending);
                    }
                }
            }
        }
    }

    /// Applies pause/resume/skip; returns how the execution ends for stop and shutdown.
    /// Skip between phases has nothing to skip and is only recorded.
    pub(super) fn handle_signal(&mut self, signal: Option<Signal>) -> Option<Ending> {
        match signal {
            None | Some(Signal::Shutdown) => Some(Ending::Shutdown),
            Some(Signal::Command(command, by)) => {
                self.env
                    .emit(None, None, EventKind::ControlReceived { command, by });
                match command {
                    ControlCommand::Stop => Some(Ending::Stopped),
                    ControlCommand::Pause if !self.schedule.borrow().is_paused() => {
                        self.schedule.send_modify(Schedule::pause);
                        self.env.emit(None, None, EventKind::Paused);
                        None
                    }
                    ControlCommand::Resume if self.schedule.borrow().is_paused() => {
                        self.schedule.send_modify(Schedule::resume);
                        self.env.emit(None, None, EventKind::Resumed);
                        None
                    }
                    ControlCommand::Pause | ControlCommand::Resume | ControlCommand::SkipPhase => {
                        None
                    }
                }
            }
        }
    }

    /// Awaits `step` (a phase's action in order) while serving control signals
    /// and the timeout. A pause is recorded at once and the call runs on (see
    /// docs/engine.md); a stop, skip, shutdown or the timeout cancels it at once
    /// and ends the phase (`Err`), after the step has recorded its cancellation.
    pub(super) async fn serve_signals_during<T>(
        &mut self,
        index: usize,
        cancel: &Cancel,
        step: impl Future<Output = T>,
    ) -> Result<T, PhaseEnd> {
        tokio::pin!(step);
        let end = loop {
            tokio::select! {
                done = &mut step => return Ok(done),
                () = tokio::time::sleep_until(self.deadline) => break PhaseEnd::Interrupted(Ending::TimedOut),
                signal = self.control.recv() => {
                    if let Some(end) = self.phase_signal(index, signal) {
                        break end;
                    }
                }
            }
        };
        cancel.cancel(cancel_reason(&end));
        step.await;
        Err(end)
    }

    /// What a control signal does to a running phase: `Some` ends it.
    pub(super) fn phase_signal(
        &mut self,
        index: usize,
        signal: Option<Signal>,
    ) -> Option<PhaseEnd> {
        if let Some(Signal::Command(ControlCommand::SkipPhase, by)) = signal {
            self.env.emit(
                Some(index),
                None,
                EventKind::ControlReceived {
                    command: ControlCommand::SkipPhase,
                    by,
                },
            );
            return Some(PhaseEnd::Skipped);
        }
        self.handle_signal(signal).map(PhaseEnd::Interrupted)
    }

    /// A phase ended before its end: a skip jumps the timeline to the phase's end.
    pub(super) fn end_phase_early(&mut self, phase: &PlannedPhase, end: PhaseEnd) -> PhaseEnd {
        if matches!(end, PhaseEnd::Skipped) {
            self.schedule.send_modify(|s| {
                s.resume();
                s.skip_to(phase.end_ms);
            });
        }
        end
    }
}
