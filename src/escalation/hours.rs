//! Business hours: whether people are at work at a given moment, in the tenant's local time
//! (a fixed UTC offset, open weekdays, opening and closing hour). Outside them an escalated
//! conversation gets the offline message and waits in the queue as a ticket.

use crate::config::BusinessHours;

const SECONDS_PER_DAY: i64 = 86_400;

/// Whether `now_ms` (unix ms) falls inside the business hours. Disabled hours are always open.
/// An overnight window (`open_hour > close_hour`, e.g. 22-6) is supported.
pub fn is_open(hours: &BusinessHours, now_ms: u64) -> bool {
    if !hours.enabled {
        return true;
    }
    let local =
        i64::try_from(now_ms / 1000).unwrap_or(i64::MAX) + i64::from(hours.utc_offset_minutes) * 60;
    let days = local.div_euclid(SECONDS_PER_DAY);
    let hour = local.rem_euclid(SECONDS_PER_DAY) / 3600;
    // 1970-01-01 was a Thursday: day 0 is weekday 4 (Monday = 1).
    let weekday = u8::try_from((days + 3).rem_euclid(7) + 1).unwrap_or(1);
    let (open, close) = (i64::from(hours.open_hour), i64::from(hours.close_hour));
    let in_window = if open <= close {
        open <= hour && hour < close
    } else {
        hour >= open || hour < close
    };
    hours.weekdays.contains(&weekday) && in_window
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(offset: i32) -> BusinessHours {
        BusinessHours {
            enabled: true,
            utc_offset_minutes: offset,
            weekdays: vec![1, 2, 3, 4, 5],
            open_hour: 9,
            close_hour: 17,
        }
    }

    /// 10:00 UTC on Tuesday 2025-11-25.
    const TUESDAY_10_UTC: u64 = 1_764_064_800_000;
    /// 10:00 UTC on Saturday 2025-11-29.
    const SATURDAY_10_UTC: u64 = TUESDAY_10_UTC + 4 * 86_400_000;

    #[test]
    fn a_weekday_morning_is_open_and_a_saturday_is_not() {
        assert!(is_open(&hours(0), TUESDAY_10_UTC));
        assert!(!is_open(&hours(0), SATURDAY_10_UTC));
    }

    #[test]
    fn the_offset_moves_the_window() {
        // 10:00 UTC is 18:00 in Beijing: closed there.
        assert!(!is_open(&hours(480), TUESDAY_10_UTC));
        // and 05:00 in New York: not open yet.
        assert!(!is_open(&hours(-300), TUESDAY_10_UTC));
        assert!(is_open(&hours(-60), TUESDAY_10_UTC));
    }

    #[test]
    fn disabled_hours_are_always_open_and_overnight_windows_wrap() {
        let mut always = hours(0);
        always.enabled = false;
        assert!(is_open(&always, SATURDAY_10_UTC));
        let mut night = hours(0);
        (night.open_hour, night.close_hour) = (22, 11);
        assert!(is_open(&night, TUESDAY_10_UTC));
    }
}
