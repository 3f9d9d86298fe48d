//! Long-running programs: each runs in its own task, a slice of instructions at a
//! time, yielding to the executor between slices so the CoAP server (and other
//! programs) keep running. A stop request is seen at the next slice boundary.
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::RefCell;

use embassy_executor::Spawner;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::blocking_mutex::Mutex;
use proto::{RunState, RunningInfo};
use vm::image::Image;
use vm::{HelperSet, RunStatus, Vm};

use super::helpers::{DeviceHelpers, Namespace};
use device::{StartError, SLOT_COUNT};

/// Instructions per slice: long enough to amortise the switch, short enough that a
/// CoAP request waits well under a millisecond of guest time.
const SLICE: u64 = 2_000;

struct Entry {
    info: RunningInfo,
    stop: bool,
}

static TABLE: Mutex<CriticalSectionRawMutex, RefCell<[Option<Entry>; SLOT_COUNT]>> =
    Mutex::new(RefCell::new([const { None }; SLOT_COUNT]));

fn update(slot: u8, f: impl FnOnce(&mut Entry)) {
    TABLE.lock(|t| {
        if let Some(e) = t.borrow_mut()[usize::from(slot)].as_mut() {
            f(e)
        }
    });
}

/// Starts a program; one per slot at a time.
pub fn start(
    spawner: Spawner,
    slot: u8,
    image: Arc<Image>,
    helpers: HelperSet,
    input: Vec<u8>,
    budget: u64,
) -> Result<(), StartError> {
    let claimed = TABLE.lock(|t| {
        let mut t = t.borrow_mut();
        let e = &mut t[usize::from(slot)];
        if matches!(e, Some(Entry { info: RunningInfo { state: RunState::Running, .. }, .. })) {
            return false;
        }
        *e = Some(Entry {
            info: RunningInfo { slot, state: RunState::Running, executed: 0, result: None, failure: None },
            stop: false,
        });
        true
    });
    if !claimed {
        return Err(StartError::AlreadyRunning);
    }
    match program_task(slot, image, helpers, input, budget) {
        Ok(token) => {
            spawner.spawn(token);
            Ok(())
        }
        Err(_) => {
            TABLE.lock(|t| t.borrow_mut()[usize::from(slot)] = None);
            Err(StartError::NoTask)
        }
    }
}

/// Asks a running program to stop; `false` if none runs in that slot.
pub fn stop(slot: u8) -> bool {
    TABLE.lock(|t| match t.borrow_mut().get_mut(usize::from(slot)).and_then(|e| e.as_mut()) {
        Some(e) if e.info.state == RunState::Running => {
            e.stop = true;
            true
        }
        _ => false,
    })
}

pub fn list() -> Vec<RunningInfo> {
    TABLE.lock(|t| t.borrow().iter().flatten().map(|e| e.info.clone()).collect())
}

#[embassy_executor::task(pool_size = 4)]
async fn program_task(slot: u8, image: Arc<Image>, allowed: HelperSet, input: Vec<u8>, budget: u64) {
    let mut buffers = match device::Buffers::for_image(&image, input) {
        Ok(b) => b,
        Err(f) => {
            update(slot, |e| {
                e.info.state = RunState::Failed;
                e.info.failure = Some(f);
            });
            return;
        }
    };
    let memory = buffers.memory(&image);
    let mut helpers = DeviceHelpers::new(Namespace::Slot(slot));
    let budget = if budget == 0 { u64::MAX } else { budget };
    let mut vm = Vm::new(&image.program, memory, &mut helpers, allowed).with_budget(budget);
    crate::println!("slot {slot}: background program started");
    loop {
        let stop = TABLE.lock(|t| t.borrow()[usize::from(slot)].as_ref().is_some_and(|e| e.stop));
        if stop {
            update(slot, |e| e.info.state = RunState::Stopped);
            break;
        }
        let status = vm.run_slice(SLICE);
        let executed = vm.executed();
        match status {
            Ok(RunStatus::Yielded) => update(slot, |e| e.info.executed = executed),
            Ok(RunStatus::Exited(r0)) => {
                update(slot, |e| {
                    e.info.executed = executed;
                    e.info.state = RunState::Exited;
                    e.info.result = Some(r0);
                });
                break;
            }
            Err(err) => {
                update(slot, |e| {
                    e.info.executed = executed;
                    e.info.state = RunState::Failed;
                    e.info.failure = Some(device::run::vm_failure(&err));
                });
                break;
            }
        }
        embassy_futures::yield_now().await;
    }
    crate::println!("slot {slot}: background program ended after {} instructions", vm.executed());
}
