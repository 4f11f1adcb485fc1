#!/bin/sh
# make fuzz: is there a clang that links libFuzzer with ASan and UBSan?
# If not, say what to install.
cc=${1:-clang}
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
    >"$dir/t.c"
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "make fuzz: no $cc; on Debian 12: apt-get install clang libclang-rt-14-dev" >&2
	exit 1
fi
if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$dir/t" "$dir/t.c" 2>"$dir/err"; then
	cat "$dir/err" >&2
	echo "make fuzz: $cc cannot link libFuzzer with ASan and UBSan; on Debian 12: apt-get install clang libclang-rt-14-dev" >&2
	exit 1
fi
