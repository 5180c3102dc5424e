from sounddetect.cli import main

raise SystemExit(main())
