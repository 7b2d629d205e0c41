#!/usr/bin/env bash
# The step behind action.yml: find or build leakprobe, scan INPUT_URL, write the reports, the job
# summary ($GITHUB_STEP_SUMMARY) and the outputs ($GITHUB_OUTPUT), and exit with leakprobe's own
# exit code (0 ok, 1 a threshold failed, 2 usage or input error, 3 target unreachable / scan failed).
#
# Runs outside GitHub too: set INPUT_URL (and any other INPUT_*), and GITHUB_OUTPUT /
# GITHUB_STEP_SUMMARY to files; LEAKPROBE_BIN picks the binary (else `leakprobe` on PATH, else a
# release build of this checkout).
set -euo pipefail

url="${INPUT_URL:-}"
if [ -z "$url" ]; then
  echo "::error title=leakprobe::input 'url' is required"
  exit 2
fi
output_file="${GITHUB_OUTPUT:-/dev/null}"
summary_file="${GITHUB_STEP_SUMMARY:-/dev/null}"

# --- the binary -----------------------------------------------------------------------------
bin="${LEAKPROBE_BIN:-}"
if [ -z "$bin" ]; then
  if command -v leakprobe >/dev/null 2>&1; then
    bin="$(command -v leakprobe)"
  else
    src="${LEAKPROBE_ACTION_PATH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
    echo "::group::Building leakprobe from $src"
    cargo build --release --locked --quiet --manifest-path "$src/Cargo.toml" -p leakprobe
    echo "::endgroup::"
    bin="${CARGO_TARGET_DIR:-$src/target}/release/leakprobe"
  fi
fi

# --- the reports ----------------------------------------------------------------------------
report_dir="${INPUT_REPORT_DIR:-leakprobe-report}"
mkdir -p "$report_dir"
json="$report_dir/leakprobe.json"
markdown="$report_dir/leakprobe.md"
rm -f "$json" "$markdown"
args=(scan "$url" --format terminal -o "$json" -o "$markdown" -o "$report_dir/leakprobe.html" -o "$report_dir/leakprobe-junit.xml")

# Unset means the action's default; an empty value turns SARIF off.
sarif="${INPUT_SARIF-leakprobe.sarif}"
sarif_tmp=""
if [ -n "$sarif" ]; then
  mkdir -p "$(dirname "$sarif")"
  case "$sarif" in
    *.sarif) args+=(-o "$sarif") ;;
    # -o picks the format from the extension; any other name is written via a .sarif file.
    *) sarif_tmp="$report_dir/leakprobe.sarif"; args+=(-o "$sarif_tmp") ;;
  esac
fi

if [ -n "${INPUT_SPEC:-}" ]; then args+=(--spec "$INPUT_SPEC"); fi
if [ -n "${INPUT_THRESHOLD:-}" ]; then args+=(--fail-below "$INPUT_THRESHOLD"); fi
if [ -n "${INPUT_FAIL_ON:-}" ]; then args+=(--fail-on "$INPUT_FAIL_ON"); fi
if [ -n "${INPUT_FAIL_ON_NEW:-}" ]; then args+=(--fail-on-new "$INPUT_FAIL_ON_NEW"); fi
if [ -n "${INPUT_CONFIG:-}" ]; then args+=(--config "$INPUT_CONFIG"); fi
if [ -n "${INPUT_BASELINE:-}" ]; then
  if [ -f "$INPUT_BASELINE" ]; then
    args+=(--baseline "$INPUT_BASELINE")
  else
    echo "::warning title=leakprobe::baseline $INPUT_BASELINE not found; every finding counts as new"
  fi
fi

# Identities, one per line: `NAME=SPEC` (leakprobe's --identity: NAME=bearer:TOKEN,
# NAME=basic:USER:PASS, NAME=header:Name:Value, NAME=query:k=v, NAME=cookie:k=v) or a plain
# `Header-Name: value` sent with every request. On GitHub every secret part is registered with
# ::add-mask:: first so the runner masks it anywhere in the log; leakprobe itself never prints or
# reports credentials.
mask() {
  if [ "${GITHUB_ACTIONS:-}" = "true" ] && [ "${#1}" -ge 4 ]; then echo "::add-mask::$1"; fi
}
if [ -n "${INPUT_IDENTITIES:-}" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    line="${line#"${line%%[![:space:]]*}"}"
    case "$line" in "" | "#"*) continue ;; esac
    if [[ "$line" =~ ^[A-Za-z0-9_.-]+= ]]; then
      spec="${line#*=}"    # kind:secret…
      secret="${spec#*:}"
      mask "$secret"
      mask "${secret##*:}" # basic's password, header's value
      mask "${secret##*=}" # query's and cookie's value
      args+=(--identity "$line")
    elif [[ "$line" == *:* ]]; then
      value="${line#*:}"
      value="${value#"${value%%[![:space:]]*}"}"
      mask "$value"
      mask "${value##* }"  # `Bearer <token>`: the token alone too
      args+=(-H "$line")
    else
      echo "::error title=leakprobe::identities: every line must be NAME=SPEC or 'Header-Name: value' (line starting '${line:0:6}…')"
      exit 2
    fi
  done <<< "$INPUT_IDENTITIES"
fi

if [ -n "${INPUT_ARGS:-}" ]; then
  read -r -a extra <<< "$INPUT_ARGS"
  args+=("${extra[@]}")
fi

# --- the scan -------------------------------------------------------------------------------
set +e
"$bin" "${args[@]}"
code=$?
set -e
echo "exit-code=$code" >> "$output_file"

if [ ! -s "$json" ]; then
  # No report: usage error or unreachable target. leakprobe already said why on stderr.
  {
    echo "## leakprobe: no report"
    echo
    echo "Scanning \`$url\` failed with exit code $code (2: usage or input error, 3: target unreachable or scan failed). See the step log."
  } >> "$summary_file"
  exit "$code"
fi

if [ -n "$sarif_tmp" ]; then
  cp "$sarif_tmp" "$sarif"
fi

# One pass over the JSON report: score, grade, findings that count, new ones among them.
read_report() {
  local filter='[.categories[].findings[] | select(.suppressed == null)] as $a
    | "\(.score) \(.grade) \($a | length) \([$a[] | select((.baseline // "new") == "new")] | length)"'
  if command -v jq >/dev/null 2>&1; then
    jq -r "$filter" "$json"
  else
    python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
a = [f for c in r["categories"].values() for f in c["findings"] if "suppressed" not in f]
print(r["score"], r["grade"], len(a), sum(1 for f in a if f.get("baseline", "new") == "new"))' "$json"
  fi
}
read -r score grade count new_count < <(read_report)

{
  echo "score=$score"
  echo "grade=$grade"
  echo "findings-count=$count"
  echo "new-findings-count=$new_count"
  echo "report-path=$json"
  if [ -n "$sarif" ]; then echo "sarif-path=$sarif"; fi
} >> "$output_file"

cat "$markdown" >> "$summary_file"
if [ "$code" = 1 ]; then
  echo "::error title=leakprobe::threshold failed: score $score, grade $grade, $count finding(s) ($new_count new)"
fi
exit "$code"
