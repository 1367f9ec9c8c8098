//! Validation: turns extracted shifts into row issues with cell references.
