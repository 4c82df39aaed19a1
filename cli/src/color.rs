//! Whether human output is coloured: the `--color` flag, then `NO_COLOR`
//! (and `CLICOLOR`, `CLICOLOR_FORCE`, `TERM=dumb`) and whether the stream
//! is a terminal, as anstream (clap's own colour handling) decides it.

use anstream::stream::RawStream;

/// Records the `--color` choice for the whole process.
pub(crate) fn init(choice: clap::ColorChoice) {
    let choice = match choice {
        clap::ColorChoice::Auto => anstream::ColorChoice::Auto,
        clap::ColorChoice::Always => anstream::ColorChoice::Always,
        clap::ColorChoice::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
}

/// Whether to colour what is written to this stream.
pub(crate) fn wanted<S: RawStream>(stream: &S) -> bool {
    anstream::AutoStream::<S>::choice(stream) != anstream::ColorChoice::Never
}
