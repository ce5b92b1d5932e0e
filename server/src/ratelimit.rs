//! Per-client token buckets for ingest.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

pub struct RateLimiter {
    per_s: f64,
    burst: f64,
    max_clients: usize,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    pub fn new(per_s: f64, burst: f64, max_clients: usize) -> Self {
        RateLimiter {
            per_s: per_s.max(f64::MIN_POSITIVE),
            burst: burst.max(1.0),
            max_clients: max_clients.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `ip`; `Err(seconds)` tells when the next one will be there.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        self.check_at(ip, Instant::now())
    }

    pub fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let key = client_key(ip);
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= self.max_clients && !buckets.contains_key(&key) {
            self.prune(&mut buckets, now);
        }
        let b = buckets.entry(key).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(b.updated).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.per_s).min(self.burst);
        b.updated = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err((((1.0 - b.tokens) / self.per_s).ceil() as u64).max(1))
        }
    }

    /// Drops buckets that have refilled (forgetting them changes nothing); if every client is
    /// active, forgets them all rather than grow without bound.
    fn prune(&self, buckets: &mut HashMap<IpAddr, Bucket>, now: Instant) {
        let full_after_s = self.burst / self.per_s;
        buckets
            .retain(|_, b| now.saturating_duration_since(b.updated).as_secs_f64() < full_after_s);
        if buckets.len() >= self.max_clients {
            buckets.clear();
        }
    }
}

/// IPv6 clients usually hold a whole /64, so they are limited per /64.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_refills_and_reports_wait() {
        let rl = RateLimiter::new(2.0, 3.0, 10);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(rl.check_at(ip, t0).is_ok());
        }
        assert_eq!(rl.check_at(ip, t0), Err(1));
        assert!(rl.check_at(ip, t0 + Duration::from_millis(500)).is_ok());
        // other clients are not affected
        assert!(rl.check_at("10.0.0.2".parse().unwrap(), t0).is_ok());
    }

    #[test]
    fn ipv6_limited_per_64() {
        let rl = RateLimiter::new(1.0, 1.0, 10);
        let t0 = Instant::now();
        assert!(rl.check_at("2001:db8::1".parse().unwrap(), t0).is_ok());
        assert!(rl.check_at("2001:db8::2".parse().unwrap(), t0).is_err());
    }

    #[test]
    fn table_stays_bounded() {
        let rl = RateLimiter::new(1.0, 1.0, 4);
        let t0 = Instant::now();
        for i in 0..100u8 {
            let _ = rl.check_at(IpAddr::from([10, 0, 0, i]), t0);
        }
        assert!(rl.buckets.lock().unwrap().len() <= 4);
    }
}
