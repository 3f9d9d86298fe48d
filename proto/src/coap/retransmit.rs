//! RFC 7252's retransmission of a confirmable message (§4.2, §4.8): wait
//! `ack_timeout` for the answer, then retransmit, doubling the wait each time, up to
//! `max_retransmit` retransmissions. The caller owns the clock and the link; this only
//! decides.
use core::time::Duration;

/// The transmission parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub ack_timeout: Duration,
    pub max_retransmit: u32,
}

impl Default for Params {
    /// RFC 7252 §4.8's defaults: 2 s and 4 retransmissions (without the random factor:
    /// tests and measurements see the same schedule every time).
    fn default() -> Self {
        Self { ack_timeout: Duration::from_secs(2), max_retransmit: 4 }
    }
}

/// Where one message is in its schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    params: Params,
    /// Transmissions so far, the first included.
    sent: u32,
    timeout: Duration,
    waited: Duration,
}

impl Schedule {
    /// The schedule of a message about to be sent for the first time.
    pub fn new(params: Params) -> Self {
        Self { params, sent: 1, timeout: params.ack_timeout, waited: Duration::ZERO }
    }

    /// How long to wait for an answer to the transmission just made.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// That wait ended without an answer: `true` to send again (the next wait is
    /// twice as long), `false` to give up.
    pub fn expired(&mut self) -> bool {
        self.waited += self.timeout;
        if self.sent > self.params.max_retransmit {
            return false;
        }
        self.sent += 1;
        self.timeout *= 2;
        true
    }

    /// Transmissions made.
    pub fn attempts(&self) -> u32 {
        self.sent
    }

    /// Time waited in all, once given up.
    pub fn waited(&self) -> Duration {
        self.waited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_waits_2_4_8_16_32_seconds_in_five_transmissions() {
        let mut s = Schedule::new(Params::default());
        let mut waits = alloc::vec![s.timeout().as_secs()];
        while s.expired() {
            waits.push(s.timeout().as_secs());
        }
        assert_eq!(waits, [2, 4, 8, 16, 32]);
        assert_eq!((s.attempts(), s.waited()), (5, Duration::from_secs(62)));
    }

    #[test]
    fn no_retransmission_means_one_wait() {
        let mut s = Schedule::new(Params { ack_timeout: Duration::from_millis(300), max_retransmit: 0 });
        assert!(!s.expired());
        assert_eq!((s.attempts(), s.waited()), (1, Duration::from_millis(300)));
    }
}
