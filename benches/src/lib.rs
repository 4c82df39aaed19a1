//! Benchmarks of patchbay's stages live in this package's `benches/`
//! targets (`cargo bench -p patchbay-benches`); this library is empty.
