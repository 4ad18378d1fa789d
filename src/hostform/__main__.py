import sys

from hostform.cli.main import main

sys.exit(main())
