//! Grid + template → shifts: rows and grid layouts and the one shift-time grammar.
