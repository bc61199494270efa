//! The transform stage: rewrites of the compiled files before any request is built, in the
//! order the run lists them. buf's managed mode and type filters are the rewrites to come; a
//! new one is a `model::Transform` variant and an arm here.

use super::Loaded;
use crate::model::Transform;

/// `loaded` with every transform applied.
pub fn apply(transforms: &[Transform], loaded: Loaded) -> Loaded {
    match transforms.first() {
        None => loaded,
        Some(transform) => match *transform {},
    }
}
