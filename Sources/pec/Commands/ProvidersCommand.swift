import ArgumentParser
import PECCore

struct ProvidersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "providers",
        abstract: "List the PEC provider presets: servers, ports, mailbox domains.",
        discussion: "Use a preset's id with `pec auth login --provider ID`."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let columns = ["id", "name", "imap_host", "imap_port", "smtp_host", "smtp_port", "confidence", "limits"]
        try Console.write(global.renderer.render(ProviderCatalog.rows, layout: .table(columns: columns)))
    }
}
