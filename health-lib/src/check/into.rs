//! What [`from_checks`](crate::from_checks) accepts: a tuple of closures (each
//! its own type, so they may capture) or anything iterable, each item a
//! [`Check`] or a plain closure.

use super::{Check, CheckOutput};

/// One check for [`from_checks`](crate::from_checks): a [`Check`], kept as it
/// is, or a plain closure returning `bool` or `Result<(), E>` (see [`CheckOutput`]), which
/// becomes a readiness check named `check-N` after its position (from 1).
///
/// Async checks go in as [`Check::new_async`].
pub trait IntoCheck {
    /// The check, named after `position` unless it has a name of its own.
    fn into_check(self, position: usize) -> Check;
}

impl IntoCheck for Check {
    fn into_check(self, _position: usize) -> Check {
        self
    }
}

impl<F, O> IntoCheck for F
where
    F: Fn() -> O + Send + Sync + 'static,
    O: CheckOutput,
{
    fn into_check(self, position: usize) -> Check {
        Check::new(format!("check-{position}"), self)
    }
}

/// The checks of [`from_checks`](crate::from_checks) and
/// [`HealthChecks::from_checks`](crate::HealthChecks::from_checks), in order.
///
/// Implemented for tuples of up to 12 [`IntoCheck`]s, where every closure has
/// its own type and may capture, and for anything iterable of one
/// [`IntoCheck`] type: `vec![|| true, || false]` (closures that capture
/// nothing share a function-pointer type), `[Check::new(..), Check::new(..)]`,
/// `Vec<Check>`, an iterator of checks. `Marker` tells the two apart and is
/// always inferred ([`Iterable`] or [`Tuple`]).
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use grpc_health_checks::{Check, HealthChecks};
///
/// let db_up = Arc::new(AtomicBool::new(true));
/// let capturing = (|| true, move || db_up.load(Ordering::Relaxed));
/// let named = [Check::new("disk", || true), Check::new("cache", || Ok::<(), String>(()))];
/// let plain = vec![|| true, || false];
/// # let _ = (HealthChecks::from_checks(capturing), HealthChecks::from_checks(named), HealthChecks::from_checks(plain));
/// ```
pub trait IntoChecks<Marker> {
    /// The checks, closures named `check-1`, `check-2`, … by position.
    fn into_checks(self) -> Vec<Check>;
}

/// [`IntoChecks`] marker for anything iterable.
#[derive(Debug)]
pub enum Iterable {}

/// [`IntoChecks`] marker for tuples.
#[derive(Debug)]
pub enum Tuple {}

impl<I> IntoChecks<Iterable> for I
where
    I: IntoIterator,
    I::Item: IntoCheck,
{
    fn into_checks(self) -> Vec<Check> {
        (1..)
            .zip(self)
            .map(|(position, check)| check.into_check(position))
            .collect()
    }
}

/// `IntoChecks<Tuple>` for the tuple of the given `IntoCheck` type
/// parameters, then for each shorter tuple down to one element.
macro_rules! impl_into_checks_for_tuples {
    () => {};
    ($first:ident $($rest:ident)*) => {
        impl<$first: IntoCheck, $($rest: IntoCheck),*> IntoChecks<Tuple> for ($first, $($rest,)*) {
            fn into_checks(self) -> Vec<Check> {
                #[allow(non_snake_case)]
                let ($first, $($rest,)*) = self;
                let mut position = 0;
                let mut next = || {
                    position += 1;
                    position
                };
                // Array elements are evaluated left to right: positions follow the tuple.
                vec![$first.into_check(next()), $($rest.into_check(next())),*]
            }
        }
        impl_into_checks_for_tuples!($($rest)*);
    };
}

impl_into_checks_for_tuples!(A B C D E F G H I J K L);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::CheckFn;

    fn names<M>(checks: impl IntoChecks<M>) -> Vec<String> {
        checks
            .into_checks()
            .into_iter()
            .map(|check| check.name)
            .collect()
    }

    #[test]
    fn closures_are_named_by_position_and_checks_keep_their_names() {
        let address = String::from("db:5432");
        let capturing = (
            || true,
            move || Err::<(), _>(format!("{address} refused")),
            Check::new("disk", || true),
        );
        assert_eq!(names(capturing), ["check-1", "check-2", "disk"]);
        assert_eq!(names(vec![|| true, || false]), ["check-1", "check-2"]);
        assert_eq!(
            names([Check::new("db", || true), Check::new("cache", || true)]),
            ["db", "cache"]
        );
        assert_eq!(names(Vec::<Check>::new()), Vec::<String>::new());
    }

    #[test]
    fn twelve_capturing_closures_fit_in_a_tuple() {
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let c = || {
            let flag = flag.clone();
            move || flag.load(std::sync::atomic::Ordering::Relaxed)
        };
        let checks = (c(), c(), c(), c(), c(), c(), c(), c(), c(), c(), c(), c());
        assert_eq!(names(checks).last().map(String::as_str), Some("check-12"));
    }

    #[tokio::test]
    async fn closures_run_as_blocking_checks_and_async_checks_stay_async() {
        let checks = (
            || Err::<(), _>(std::io::Error::other("refused")),
            Check::new_async("async", || async { true }),
        )
            .into_checks();
        let CheckFn::Blocking(blocking) = &checks[0].function else {
            panic!("a plain closure runs on the blocking pool");
        };
        assert_eq!(blocking(), Err("refused".to_owned()));
        let CheckFn::Async(run) = &checks[1].function else {
            panic!("Check::new_async stays async");
        };
        assert_eq!(run().await, Ok(()));
    }
}
