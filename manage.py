#!/usr/bin/env python
import gc
import os
import sys


def main():
    gc.disable()  # while Django starts; peercoach.ops's ready() freezes and turns it on
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peercoach.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
