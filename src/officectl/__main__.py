from officectl.cli import main

main(prog_name="officectl")
