from pykarmada.karmadactl.cli import main

main()
