fn main() {
    for path in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&path).unwrap();
        let report = patchbay_schema::lint(&patchbay_schema::SourceFile::new(path.clone(), text));
        for d in &report.diagnostics {
            println!(
                "{}:{}:{} {} {} | fix: {:?} [{}]",
                path, d.start.line, d.start.column, d.code, d.message, d.fix, d.pointer
            );
        }
        if report.diagnostics.is_empty() {
            println!("{path}: clean");
        }
    }
}
