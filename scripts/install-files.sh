#!/bin/sh
# `make install` / `make uninstall`: the binaries, their shell completions and their man pages, in
# the standard places under a prefix.
#
#   install-files.sh install BIN_DIR DEST GENERATE_MANUAL   (DEST = $DESTDIR$PREFIX)
#   install-files.sh uninstall DEST
#
# Completions come from the binaries themselves (swift-argument-parser's
# --generate-completion-script), man pages from swift-argument-parser's generate-manual tool (the
# tool its generate-manual plugin runs; the plugin itself builds every target of the package in
# release mode, test support included, which cannot be built that way). Every file written is
# listed in DEST/share/pec/installed-files, which is what uninstall removes: nothing else.
set -eu

manifest_of() { echo "$1/share/pec/installed-files"; }

install_files() {
    bin_dir=$1 dest=$2 generate_manual=$3
    manifest=$(manifest_of "$dest")
    bash_dir="$dest/share/bash-completion/completions"
    zsh_dir="$dest/share/zsh/site-functions"
    fish_dir="$dest/share/fish/vendor_completions.d"
    man_dir="$dest/share/man/man1"
    install -d "$dest/bin" "$bash_dir" "$zsh_dir" "$fish_dir" "$man_dir" "$(dirname "$manifest")"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT INT TERM
    : > "$work/files"
    for tool in pec pec-mcp; do
        install -m 755 "$bin_dir/$tool" "$dest/bin/$tool"
        echo "bin/$tool" >> "$work/files"
        "$bin_dir/$tool" --generate-completion-script bash > "$work/$tool.bash"
        "$bin_dir/$tool" --generate-completion-script zsh > "$work/_$tool"
        "$bin_dir/$tool" --generate-completion-script fish > "$work/$tool.fish"
        install -m 644 "$work/$tool.bash" "$bash_dir/$tool"
        install -m 644 "$work/_$tool" "$zsh_dir/_$tool"
        install -m 644 "$work/$tool.fish" "$fish_dir/$tool.fish"
        printf '%s\n' "share/bash-completion/completions/$tool" "share/zsh/site-functions/_$tool" \
            "share/fish/vendor_completions.d/$tool.fish" >> "$work/files"
        mkdir "$work/man-$tool"
        # One page for the tool and one for each subcommand (`man pec.send`).
        "$generate_manual" "$bin_dir/$tool" --multi-page --output-directory "$work/man-$tool"
        for page in "$work/man-$tool"/*.1; do
            name=$(basename "$page")
            # A blank line in a command's discussion is a paragraph: mdoc wants .Pp there.
            sed 's/^$/.Pp/' "$page" > "$work/$name"
            install -m 644 "$work/$name" "$man_dir/$name"
            echo "share/man/man1/$name" >> "$work/files"
        done
    done
    echo "share/pec/installed-files" >> "$work/files"
    install -m 644 "$work/files" "$manifest"
    count=$(wc -l < "$manifest")
    echo "installed pec and pec-mcp, their bash, zsh and fish completions and man pages into $dest ($count files)"
}

uninstall_files() {
    dest=$1
    manifest=$(manifest_of "$dest")
    if [ ! -f "$manifest" ]; then
        echo "nothing to uninstall: $manifest is missing (was pec installed into $dest with make install?)" >&2
        # Installs from before the manifest put only the two binaries there.
        rm -f "$dest/bin/pec" "$dest/bin/pec-mcp"
        return 0
    fi
    removed=0
    while IFS= read -r file; do
        case $file in
        "" | /* | *..*) echo "skipping a suspicious line in $manifest: $file" >&2; continue ;;
        esac
        if [ -e "$dest/$file" ] || [ -L "$dest/$file" ]; then
            rm -f "$dest/$file"
            removed=$((removed + 1))
        fi
        # The directories install made, when nothing else is left in them (never DEST itself).
        dir=$(dirname "$dest/$file")
        while [ "$dir" != "$dest" ] && [ "${dir#"$dest"/}" != "$dir" ]; do
            rmdir "$dir" 2>/dev/null || break
            dir=$(dirname "$dir")
        done
    done < "$manifest"
    echo "removed $removed files of pec from $dest"
}

case ${1:-} in
install) [ $# -eq 4 ] || { echo "usage: $0 install BIN_DIR DEST GENERATE_MANUAL" >&2; exit 2; }; install_files "$2" "$3" "$4" ;;
uninstall) [ $# -eq 2 ] || { echo "usage: $0 uninstall DEST" >&2; exit 2; }; uninstall_files "$2" ;;
*) echo "usage: $0 install BIN_DIR DEST GENERATE_MANUAL | uninstall DEST" >&2; exit 2 ;;
esac
