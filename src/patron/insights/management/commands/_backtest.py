"""What the backtest commands (`patron churn backtest`, `patron forecast backtest`) share: their one action and its
options. Not a command itself (Django leaves out modules whose names start with an underscore)."""


def backtest_arguments(parser, action_help: str, horizon_help: str) -> None:
    back = parser.add_subparsers(dest="action", required=True).add_parser("backtest", help=action_help)
    back.add_argument("--cutoff", help="the cut-off, YYYY-MM-DD (default: the last purchase day less the horizon)")
    back.add_argument("--horizon-days", type=int, default=90, help=horizon_help)
    back.add_argument("--json", action="store_true", dest="as_json", help="print JSON instead of tables")
