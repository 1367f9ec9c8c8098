//! Importing a file: the pure plan (file → shifts + issues), the transactional write, revert.
