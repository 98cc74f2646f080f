from esruntime.cli import main

raise SystemExit(main())
